import { Global, Module } from '@nestjs/common';
import { PrincipalVerifier } from '../auth/ports';
import { TenancyTokens } from '../tenancy/tenancy-tokens';
import { CacheInvalidation } from './cache-invalidation';
import { TenancyCoreModule } from '../tenancy/tenancy-core.module';
import { LastUsedWriter } from './last-used-writer';
import { PlatformTokensController } from './platform-tokens.controller';
import { RejectedUseRecorder } from './rejected-use-recorder';
import { RevocationMetrics } from './revocation-metrics';
import { TokenVerifier } from './token-verifier';
import { TokensController } from './tokens.controller';
import { TokensRepository } from './tokens.repository';
import { TenancyTokensAdapter } from './tenancy-tokens.adapter';
import { TokenAccess } from './token-access';
import { TokenIssuanceService } from './token-issuance.service';
import { TokenQueriesService } from './token-queries.service';
import { TokenRevocationService } from './token-revocation.service';
import { VerifierCache } from './verifier-cache';

/**
 * Global, so that auth's guards get their `PrincipalVerifier` (the token verifier) and
 * tenancy its `TenancyTokens` without importing tokens.
 */
@Global()
@Module({
  imports: [TenancyCoreModule],
  controllers: [TokensController, PlatformTokensController],
  providers: [
    TokensRepository,
    TokenAccess,
    TokenIssuanceService,
    TokenRevocationService,
    TokenQueriesService,
    TenancyTokensAdapter,
    TokenVerifier,
    VerifierCache,
    LastUsedWriter,
    RejectedUseRecorder,
    CacheInvalidation,
    RevocationMetrics,
    { provide: PrincipalVerifier, useExisting: TokenVerifier },
    { provide: TenancyTokens, useExisting: TenancyTokensAdapter },
  ],
  exports: [
    TokenIssuanceService,
    TokenRevocationService,
    TokenQueriesService,
    TokenVerifier,
    LastUsedWriter,
    PrincipalVerifier,
    TenancyTokens,
  ],
})
export class TokensModule {}

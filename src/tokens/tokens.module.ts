import { CacheInvalidation } from './cache-invalidation';
import { Module } from '@nestjs/common';
import { TenancyCoreModule } from '../tenancy/tenancy-core.module';
import { LastUsedWriter } from './last-used-writer';
import { PlatformTokensController } from './platform-tokens.controller';
import { RejectedUseRecorder } from './rejected-use-recorder';
import { TokenVerifier } from './token-verifier';
import { TokensController } from './tokens.controller';
import { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';
import { VerifierCache } from './verifier-cache';

@Module({
  imports: [TenancyCoreModule],
  controllers: [TokensController, PlatformTokensController],
  providers: [
    TokensRepository,
    TokensService,
    TokenVerifier,
    VerifierCache,
    LastUsedWriter,
    RejectedUseRecorder,
    CacheInvalidation,
  ],
  exports: [TokensService, TokenVerifier, LastUsedWriter],
})
export class TokensModule {}

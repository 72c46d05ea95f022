import { Module } from '@nestjs/common';
import { GovernanceModule } from '../governance/governance.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { CacheInvalidation } from './cache-invalidation';
import { LastUsedWriter } from './last-used-writer';
import { RejectedUseRecorder } from './rejected-use-recorder';
import { RevocationMetrics } from './revocation-metrics';
import { TokenAccess } from './token-access';
import { TokenIssuanceService } from './token-issuance.service';
import { TokenQueriesService } from './token-queries.service';
import { TokenRevocationService } from './token-revocation.service';
import { TokenRotationService } from './token-rotation.service';
import { TokenVerifier } from './token-verifier';
import { TokenPauseService } from './token-pause.service';
import { TokenFamilyCheck } from './token-family-check';
import { TokenFamilyPause } from './token-family-pause';
import { TokenFamilyRepository } from './token-family.repository';
import { TokenUpdateService } from './token-update.service';
import { TokenListsRepository } from './token-lists.repository';
import { TokensRepository } from './tokens.repository';
import { TokenWritesRepository } from './token-writes.repository';
import { VerifierCache } from './verifier-cache';
import { BatchRevocationService } from './batch-revocation.service';
import { TokenExpiryNotices } from './token-expiry-notices';
import { TokenExpiryNoticesRepository } from './token-expiry-notices.repository';
import { GovernedTokensRepository } from './governed-tokens.repository';
import { PolicyViolationsService } from './policy-violations.service';
import { TokenInactivitySweep } from './token-inactivity';
import { TokenUsageRecorder } from './token-usage-recorder';
import { TokenUsageRepository } from './token-usage.repository';
import { TokenUsageSummaryService } from './token-usage-summary.service';
import { TokenUsageService } from './token-usage.service';

import { TokenUsesRepository } from './uses/token-uses.repository';
import { UsesMeter } from './uses/uses-meter';
/**
 * Tokens: their rules, their table and the verifier; the token routes are `TokensRoutesModule`'s,
 * so the CLI loads none of them. It asks tenancy who a caller is; the app gives auth's guards its
 * `TokenVerifier` (`AuthModule.register`).
 */
@Module({
  imports: [TenancyModule, GovernanceModule],
  providers: [
    TokensRepository,
    TokenWritesRepository,
    TokenListsRepository,
    TokenAccess,
    TokenIssuanceService,
    TokenRevocationService,
    BatchRevocationService,
    TokenRotationService,
    TokenQueriesService,
    TokenVerifier,
    VerifierCache,
    LastUsedWriter,
    RejectedUseRecorder,
    CacheInvalidation,
    RevocationMetrics,
    TokenExpiryNotices,
    TokenExpiryNoticesRepository,
    GovernedTokensRepository,
    PolicyViolationsService,
    TokenInactivitySweep,
    TokenUsageRepository,
    TokenUsageRecorder,
    TokenUsageService,
    TokenUsageSummaryService,
    TokenPauseService,
    TokenFamilyRepository,
    TokenFamilyPause,
    TokenFamilyCheck,
    TokenUpdateService,
    TokenUsesRepository,
    UsesMeter,
  ],
  exports: [
    TokenExpiryNotices,
    TokenInactivitySweep,
    PolicyViolationsService,
    TokenIssuanceService,
    TokenRotationService,
    TokenRevocationService,
    BatchRevocationService,
    BatchRevocationService,
    TokenRotationService,
    TokenQueriesService,
    TokenVerifier,
    LastUsedWriter,
    TokenUsageRecorder,
    TokenUsageService,
    TokenUsageSummaryService,
    TokenPauseService,
    TokenUpdateService,
    UsesMeter,
  ],
})
export class TokensModule {}

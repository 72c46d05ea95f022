import { Module } from '@nestjs/common';
import { GovernanceModule } from '../governance/governance.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { CacheInvalidation } from './verify/cache-invalidation';
import { LastUsedWriter } from './verify/last-used-writer';
import { RejectedUseRecorder } from './verify/rejected-use-recorder';
import { RevocationMetrics } from './lifecycle/revocation-metrics';
import { TokenAccess } from './policy/token-access';
import { HandedTokenIssuance } from './lifecycle/handed-token-issuance.service';
import { TokenIssuanceService } from './lifecycle/token-issuance.service';
import { TokenImportService } from './lifecycle/token-import.service';
import { ImportedKeys } from './verify/imported-keys';
import { NewTokenTerms } from './lifecycle/new-token-terms';
import { TokenQueriesService } from './lifecycle/token-queries.service';
import { TokenRevocationService } from './lifecycle/token-revocation.service';
import { TokenRotationService } from './lifecycle/token-rotation.service';
import { TokenVerifier } from './verify/token-verifier';
import { TokenPauseService } from './lifecycle/token-pause.service';
import { TokenFamilyCheck } from './lifecycle/token-family-check';
import { TokenFamilyPause } from './lifecycle/token-family-pause';
import { TokenFamilyRepository } from './store/token-family.repository';
import { TokenUpdateService } from './lifecycle/token-update.service';
import { TokenListsRepository } from './store/token-lists.repository';
import { TokenCountsRepository } from './store/token-counts.repository';
import { TokenSummaryService } from './lifecycle/token-summary.service';
import { TokensRepository } from './store/tokens.repository';
import { TokenWritesRepository } from './store/token-writes.repository';
import { VerifierCache } from './verify/verifier-cache';
import { BatchRevocationService } from './lifecycle/batch-revocation.service';
import { TokenExpiryNotices } from './sweeps/token-expiry-notices';
import { TokenExpiryNoticesRepository } from './store/token-expiry-notices.repository';
import { GovernedTokensRepository } from './store/governed-tokens.repository';
import { PolicyViolationsService } from './sweeps/policy-violations.service';
import { TokenInactivitySweep } from './sweeps/token-inactivity';
import { TokenUsageRecorder } from './usage/token-usage-recorder';
import { TokenUsageRepository } from './store/token-usage.repository';
import { TokenUsageSummaryService } from './usage/token-usage-summary.service';
import { TokenUsageService } from './usage/token-usage.service';

import { TokenUsesRepository } from './store/token-uses.repository';
import { UsesMeter } from './usage/uses/uses-meter';
import { StatusListsRepository } from './store/status-lists.repository';
import { StatusListReferences } from './status/status-list-references';
/**
 * Tokens: their rules, their table and the verifier; the token routes are `TokensRoutesModule`'s,
 * so the CLI loads none of them. It asks tenancy who a caller is; the app gives auth's guards its
 * `TokenVerifier` (`AuthModule.register`).
 */
// The providers by role folder (docs/architecture.md, "Inside a feature").
const store = [
  TokensRepository,
  TokenWritesRepository,
  TokenListsRepository,
  TokenCountsRepository,
  TokenExpiryNoticesRepository,
  GovernedTokensRepository,
  TokenUsageRepository,
  TokenFamilyRepository,
  StatusListsRepository,
];
const policy = [TokenAccess];
const lifecycle = [
  TokenIssuanceService,
  HandedTokenIssuance,
  TokenImportService,
  NewTokenTerms,
  TokenRevocationService,
  BatchRevocationService,
  TokenRotationService,
  TokenQueriesService,
  TokenSummaryService,
  TokenPauseService,
  TokenFamilyPause,
  TokenFamilyCheck,
  TokenUpdateService,
  RevocationMetrics,
];
const verify = [
  TokenVerifier,
  VerifierCache,
  LastUsedWriter,
  RejectedUseRecorder,
  CacheInvalidation,
  ImportedKeys,
];
const usage = [
  TokenUsageRecorder,
  TokenUsageService,
  TokenUsageSummaryService,
  TokenUsesRepository,
  UsesMeter,
];
const sweeps = [TokenExpiryNotices, PolicyViolationsService, TokenInactivitySweep];
const status = [StatusListReferences];

@Module({
  imports: [TenancyModule, GovernanceModule],
  providers: [...store, ...policy, ...lifecycle, ...verify, ...usage, ...sweeps, ...status],
  exports: [
    TokenIssuanceService,
    HandedTokenIssuance,
    TokenImportService,
    TokenRevocationService,
    BatchRevocationService,
    TokenRotationService,
    TokenQueriesService,
    TokenSummaryService,
    TokenPauseService,
    TokenUpdateService,
    TokenVerifier,
    LastUsedWriter,
    TokenUsageRecorder,
    TokenUsageService,
    TokenUsageSummaryService,
    UsesMeter,
    StatusListsRepository,
    ...sweeps,
    ...status,
  ],
})
export class TokensModule {}

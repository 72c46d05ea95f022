import { Module } from '@nestjs/common';
import { GovernanceModule } from '../../governance/governance.module';
import { TenancyModule } from '../../tenancy/tenancy.module';
import { TokenLifecycleModule } from '../lifecycle/token-lifecycle.module';
import { TokenStoreModule } from '../token-store.module';
import { TokenUsageSummaryService } from '../usage/token-usage-summary.service';
import { TokenUsageService } from '../usage/token-usage.service';
import { TokenVerificationModule } from '../verify/token-verification.module';
import { PolicyViolationsService } from './policy-violations.service';
import { TokenExpiryNotices } from './token-expiry-notices';
import { TokenInactivitySweep } from './token-inactivity';

const sweeps = [TokenExpiryNotices, PolicyViolationsService, TokenInactivitySweep];

/**
 * What tokens did, read back (usage and its summary), and the sweeps that act on tokens over
 * time (expiry notices, policy violations, inactivity), which call the lifecycle.
 */
@Module({
  imports: [
    TokenStoreModule,
    TokenVerificationModule,
    TokenLifecycleModule,
    TenancyModule,
    GovernanceModule,
  ],
  providers: [TokenUsageService, TokenUsageSummaryService, ...sweeps],
  exports: [TokenUsageService, TokenUsageSummaryService, ...sweeps],
})
export class TokenUsageModule {}

import { Module } from '@nestjs/common';
import { GovernanceModule } from '../../governance/governance.module';
import { SigningModule } from '../../signing/signing.module';
import { TenancyModule } from '../../tenancy/tenancy.module';
import { BusinessPolicyController } from './business-policy.controller';
import { PlatformTokensController } from './platform-tokens.controller';
import { TokenUsageController } from './token-usage.controller';
import { TokenUsageSummaryController } from './token-usage-summary.controller';
import { TokensController } from './tokens.controller';
import { TokenSummaryController } from './token-summary.controller';
import { TokenPauseController } from './token-pause.controller';
import { TokensModule } from '../tokens.module';
import { StatusListService } from '../status/status-list.service';
import { StatusListsController } from './status-lists.controller';

/** The token routes, over `TokensModule`'s services: the HTTP app's, never the CLI's. */
@Module({
  imports: [TokensModule, GovernanceModule, TenancyModule, SigningModule],
  controllers: [
    TokenUsageSummaryController,
    TokenSummaryController,
    TokensController,
    PlatformTokensController,
    TokenUsageController,
    TokenPauseController,
    BusinessPolicyController,
    StatusListsController,
  ],
  // Serving status lists signs them: the HTTP app's alone (the CLI signs nothing).
  providers: [StatusListService],
})
export class TokensRoutesModule {}

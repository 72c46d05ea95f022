import { Module } from '@nestjs/common';
import { GovernanceModule } from '../../governance/governance.module';
import { BusinessPolicyController } from './business-policy.controller';
import { PlatformTokensController } from './platform-tokens.controller';
import { TokenUsageController } from './token-usage.controller';
import { TokenUsageSummaryController } from './token-usage-summary.controller';
import { TokensController } from './tokens.controller';
import { TokenPauseController } from './token-pause.controller';
import { TokensModule } from '../tokens.module';

/** The token routes, over `TokensModule`'s services: the HTTP app's, never the CLI's. */
@Module({
  imports: [TokensModule, GovernanceModule],
  controllers: [
    TokenUsageSummaryController,
    TokensController,
    PlatformTokensController,
    TokenUsageController,
    TokenPauseController,
    BusinessPolicyController,
  ],
})
export class TokensRoutesModule {}

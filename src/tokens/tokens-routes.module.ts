import { Module } from '@nestjs/common';
import { PlatformTokensController } from './platform-tokens.controller';
import { TokenUsageController } from './token-usage.controller';
import { TokenUsageSummaryController } from './token-usage-summary.controller';
import { TokensController } from './tokens.controller';
import { TokenPauseController } from './token-pause.controller';
import { TokensModule } from './tokens.module';

/** The token routes, over `TokensModule`'s services: the HTTP app's, never the CLI's. */
@Module({
  imports: [TokensModule],
  controllers: [
    TokenUsageSummaryController,
    TokensController,
    PlatformTokensController,
    TokenUsageController,
    TokenPauseController,
  ],
})
export class TokensRoutesModule {}

import { Module } from '@nestjs/common';
import { GrantsModule } from '../authorization/grants/grants.module';
import { GrantsService } from '../authorization/grants/grants.service';
import { TokensModule } from '../tokens/tokens.module';
import { TokenClients } from './query/token-clients';
import { AnalyticsController, PlatformAnalyticsController } from './http/analytics.controller';
import { VerificationAnalyticsService } from './query/verification-analytics.service';
import { VerificationRecorder } from './recording/verification-recorder';
import { VerificationRollups } from './recording/verification-rollups';
import { VerificationCountsRepository } from './store/verification-counts.repository';

/**
 * Verification analytics (docs/analytics.md): every verification counted by business, token,
 * outcome and tags (`registerVerificationAnalytics`, from app.factory.ts), in minute buckets
 * rolled up to hours and days, and the routes that read them, by client too.
 */
@Module({
  imports: [TokensModule, GrantsModule],
  controllers: [AnalyticsController, PlatformAnalyticsController],
  providers: [
    VerificationCountsRepository,
    VerificationRecorder,
    VerificationRollups,
    VerificationAnalyticsService,
    // The client each connected app's token was issued to: the authorization server's answer.
    { provide: TokenClients, useExisting: GrantsService },
  ],
  exports: [VerificationRecorder, VerificationRollups],
})
export class AnalyticsModule {}

import { Module } from '@nestjs/common';
import { TokensModule } from '../tokens/tokens.module';
import { AnalyticsController, PlatformAnalyticsController } from './http/analytics.controller';
import { VerificationAnalyticsService } from './query/verification-analytics.service';
import { VerificationRecorder } from './recording/verification-recorder';
import { VerificationRollups } from './recording/verification-rollups';
import { VerificationCountsRepository } from './store/verification-counts.repository';

/**
 * Verification analytics (docs/analytics.md): every verification counted by business, token,
 * outcome and tags (`registerVerificationAnalytics`, from app.factory.ts), in minute buckets
 * rolled up to hours and days, and the routes that read them.
 */
@Module({
  imports: [TokensModule],
  controllers: [AnalyticsController, PlatformAnalyticsController],
  providers: [
    VerificationCountsRepository,
    VerificationRecorder,
    VerificationRollups,
    VerificationAnalyticsService,
  ],
  exports: [VerificationRecorder, VerificationRollups],
})
export class AnalyticsModule {}

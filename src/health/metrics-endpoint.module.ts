import { Module } from '@nestjs/common';
import { ThrottleModule } from '../throttle/throttle.module';
import { TokensModule } from '../tokens/tokens.module';
import { MetricsAccess } from './metrics-access';
import { MetricsController } from './http/metrics.controller';

/** GET /metrics. The app imports it only with METRICS_ENABLED on: off, the route is 404. */
@Module({
  imports: [ThrottleModule, TokensModule],
  controllers: [MetricsController],
  providers: [MetricsAccess],
})
export class MetricsEndpointModule {}

import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Metrics, NoMetrics, PrometheusMetrics } from './metrics';

/**
 * The instruments, for every feature to count into without importing anything above the bottom
 * layer. METRICS_ENABLED=false gives `NoMetrics`, which counts nothing.
 */
@Global()
@Module({
  providers: [
    {
      provide: Metrics,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Metrics =>
        config.METRICS_ENABLED ? new PrometheusMetrics() : new NoMetrics(),
    },
  ],
  exports: [Metrics],
})
export class MetricsModule {}

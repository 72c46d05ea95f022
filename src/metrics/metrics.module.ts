import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Metrics, NoMetrics } from './metrics';

/**
 * The instruments, for every feature to count into without importing anything above the bottom
 * layer. METRICS_ENABLED=false gives `NoMetrics`, which counts nothing.
 */
@Global()
@Module({})
export class MetricsModule {
  /** The server's: Prometheus's instruments when METRICS_ENABLED (prom-client loads only then). */
  static forRoot(): DynamicModule {
    return MetricsModule.providing({
      provide: Metrics,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<Metrics> =>
        config.METRICS_ENABLED
          ? new (await import('./prometheus-metrics')).PrometheusMetrics()
          : new NoMetrics(),
    });
  }

  /** `NoMetrics` whatever the config: the CLI's short-lived processes have nothing to scrape. */
  static off(): DynamicModule {
    return MetricsModule.providing({ provide: Metrics, useClass: NoMetrics });
  }

  private static providing(provider: Provider<Metrics>): DynamicModule {
    return { module: MetricsModule, providers: [provider], exports: [Metrics] };
  }
}

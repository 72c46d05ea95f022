import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { disconnectNow } from '../common/redis-disconnect';

/** Pings Redis when REDIS_URL is set, on a connection of its own that never queues commands. */
@Injectable()
export class RedisHealthIndicator implements OnModuleDestroy {
  private readonly client: Redis | null;

  constructor(
    config: AppConfig,
    private readonly indicator: HealthIndicatorService,
  ) {
    this.client = config.REDIS_URL
      ? new Redis(config.REDIS_URL, {
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
          // No background reconnect loop: each readiness check connects again if it must.
          retryStrategy: () => null,
        })
      : null;
    this.client?.on('error', () => undefined); // reported through the check, not the log
  }

  get configured(): boolean {
    return this.client !== null;
  }

  async check(key: string) {
    const check = this.indicator.check(key);
    try {
      if (this.client!.status === 'wait' || this.client!.status === 'end')
        await this.client!.connect();
      await this.client!.ping();
      return check.up();
    } catch {
      disconnectNow(this.client!);
      return check.down({ message: 'Redis does not answer' });
    }
  }

  onModuleDestroy(): void {
    if (this.client) disconnectNow(this.client);
  }
}

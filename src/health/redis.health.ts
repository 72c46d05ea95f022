import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config';
import { disconnectNow } from '../redis/redis-disconnect';
import { type RedisClient, RedisConnections } from '../redis/redis-connections';

/**
 * Pings Redis when it is configured, on a connection of its own that never queues commands:
 * one server, the master the Sentinels name now (a failover is followed at the next check), or a
 * node of the Cluster.
 */
@Injectable()
export class RedisHealthIndicator implements OnModuleDestroy {
  private readonly client: RedisClient | null;

  constructor(
    config: AppConfig,
    private readonly indicator: HealthIndicatorService,
  ) {
    const redis = config.redisTopology;
    this.client = redis
      ? new RedisConnections(redis).client({
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

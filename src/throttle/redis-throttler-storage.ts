import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const WARN_EVERY_MS = 30_000;

/**
 * The library's Redis storage, on a connection of its own that never queues commands, so that
 * instances sharing one Redis share one budget. A limit is a defence, not the contract: while
 * Redis does not answer, requests are let through (and a warning logged) instead of stalled or
 * failed, and authentication and revocation keep working exactly.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimits');
  private readonly client: Redis;
  private readonly storage: ThrottlerStorageRedisService;
  private lastWarning = 0;

  constructor(url: string, keyPrefix: string) {
    this.client = new Redis(url, {
      keyPrefix,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    this.client.on('error', (e: Error) => this.warn(`Redis for rate limits: ${e.message}`));
    this.storage = new ThrottlerStorageRedisService(this.client);
  }

  /** Waits for the first connection attempt, so the first requests are counted, never for long. */
  async onModuleInit(): Promise<void> {
    await this.client.connect().catch(() => undefined);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<StorageRecord> {
    try {
      return await this.storage.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (e) {
      this.warn(`rate limit not applied, Redis did not answer: ${(e as Error).message}`);
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  onModuleDestroy(): void {
    this.client.disconnect();
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.logger.warn(message);
  }
}

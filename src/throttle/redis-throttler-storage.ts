import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type Redis from 'ioredis';
import type { WindowCount, WindowCounter } from './token-budget';
import { disconnectNow } from '../redis/redis-disconnect';
import type { RedisClient, RedisConnections } from '../redis/redis-connections';

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const WARN_EVERY_MS = 30_000;

/**
 * Adds to a fixed window that starts with its first add, in one round trip: the total after the
 * add and the window's milliseconds left. One key, so it runs on a Cluster as is (the library's
 * own script touches two, which share a hash tag: `{<key>:<throttler>}:hits` and `…:blocked`).
 */
const ADD_TO_WINDOW = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if total == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
return {total, ttl}`;

type WindowRedis = RedisClient & {
  addToWindow(key: string, amount: number, windowMs: number): Promise<[number, number]>;
};

/**
 * The library's Redis storage, on a connection of its own that never queues commands, so that
 * instances sharing one Redis share one budget. A limit is a defence, not the contract: while
 * Redis does not answer (within a second), requests are let through (and a warning logged) instead of stalled or
 * failed, and authentication and revocation keep working exactly.
 */
export class RedisThrottlerStorage
  implements ThrottlerStorage, WindowCounter, OnModuleInit, OnModuleDestroy
{
  private readonly logger = new Logger('RateLimits');
  private readonly client: WindowRedis;
  private readonly storage: ThrottlerStorageRedisService;
  private lastWarning = 0;

  /** `commandTimeoutMs`: how long a request waits for its limit before it goes uncounted. */
  constructor(connections: RedisConnections, keyPrefix: string, commandTimeoutMs: number) {
    this.client = connections.client({
      keyPrefix,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      // A Redis that is connected but silent would otherwise hold every limited request.
      commandTimeout: commandTimeoutMs,
    }) as WindowRedis;
    this.client.defineCommand('addToWindow', { numberOfKeys: 1, lua: ADD_TO_WINDOW });
    this.client.on('error', (e: Error) => this.warn(`Redis for rate limits: ${e.message}`));
    // Required here, not imported: it loads ioredis, which an installation without Redis never
    // needs (about 25 ms of every start). It takes a server's client or a Cluster's (its
    // overloads name one at a time).
    const { ThrottlerStorageRedisService: Storage } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@nest-lab/throttler-storage-redis') as typeof import('@nest-lab/throttler-storage-redis');
    this.storage = new Storage(this.client as Redis);
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

  /** A token's own limit (`TokenBudget`); while Redis does not answer, a zero window (not counted). */
  async addToWindow(key: string, amount: number, windowMs: number): Promise<WindowCount> {
    try {
      const [total, ttlMs] = await this.client.addToWindow(key, amount, windowMs);
      return { total, ttlMs };
    } catch (e) {
      this.warn(`rate limit not applied, Redis did not answer: ${(e as Error).message}`);
      return { total: 0, ttlMs: 0 };
    }
  }

  onModuleDestroy(): void {
    disconnectNow(this.client);
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.logger.warn(message);
  }
}

import { Logger } from '@nestjs/common';
import type { RedisClient, RedisConnections } from '../../bus/redis-connections';
import { StorageUnavailableError } from '../../common/domain-error';
import { disconnectNow } from '../../common/redis-disconnect';
import { loggableError } from '../../common/safe-error';
import { refilledCount, usesPeriodOf, type UsesState } from './token-uses';
import type { StoredCount, TokenUsesRepository } from './token-uses.repository';
import type { Spent, UsesLedger } from './uses-ledger';

/**
 * One token's count, in one hash (`l`: left, `p`: its period), so it runs on a Cluster as is.
 * ARGV: the stored count and period (the seed, for a key Redis does not hold yet), the current
 * period, what a refill sets the count to, the limit (a PATCH may have lowered it), 1 to take a
 * use (0 to look), and when the key may go (ms since the epoch; 0: never). Answers {granted,
 * left, period}.
 */
const SPEND_USE = `
local left = redis.call('HGET', KEYS[1], 'l')
local period
if left then
  left = tonumber(left)
  period = tonumber(redis.call('HGET', KEYS[1], 'p'))
else
  left = tonumber(ARGV[1])
  period = tonumber(ARGV[2])
end
local now = tonumber(ARGV[3])
if period < now then
  left = tonumber(ARGV[4])
  period = now
end
local limit = tonumber(ARGV[5])
if left > limit then left = limit end
if ARGV[6] ~= '1' then return {0, left, period} end
local granted = 0
if left > 0 then
  left = left - 1
  granted = 1
end
redis.call('HSET', KEYS[1], 'l', left, 'p', period)
if ARGV[7] ~= '0' then redis.call('PEXPIREAT', KEYS[1], ARGV[7]) end
return {granted, left, period}`;

type UsesRedis = RedisClient & {
  spendUse(key: string, ...args: (string | number)[]): Promise<[number, number, number]>;
};

/**
 * How long a count outlives its token's expiry: past it the token is refused before any use is
 * asked for, so the key only has to outlast clocks that disagree.
 */
const KEEP_AFTER_EXPIRY_MS = 86_400_000;

/** How long a request waits on Redis for its use before it is refused (503), never let through. */
const COMMAND_TIMEOUT_MS = 1000;

/**
 * The count in Redis, shared by every instance: each use is one atomic script, run before the
 * request is served, so 3 uses are 3 wherever the calls land. Unlike a rate limit, a Redis that
 * does not answer refuses the request (503): a use that cannot be counted is not granted. The
 * counts are written back to the database every second (only ever downwards within a period),
 * for the views and as the seed should Redis lose a key.
 */
export class RedisUsesLedger implements UsesLedger {
  private readonly logger = new Logger('TokenUses');
  private readonly client: UsesRedis;
  private pending = new Map<string, StoredCount>();

  constructor(
    connections: RedisConnections,
    keyPrefix: string,
    private readonly repo: TokenUsesRepository,
  ) {
    this.client = connections.client({
      keyPrefix,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: COMMAND_TIMEOUT_MS,
    }) as UsesRedis;
    this.client.defineCommand('spendUse', { numberOfKeys: 1, lua: SPEND_USE });
    // Each refused request says so itself (503); the connection's own errors need no line each.
    this.client.on('error', () => undefined);
  }

  async connect(): Promise<void> {
    await this.client.connect().catch(() => undefined);
  }

  async take(
    tokenId: string,
    uses: UsesState,
    atMs: number,
    expiresAt: Date | null,
  ): Promise<Spent> {
    const until = expiresAt ? expiresAt.getTime() + KEEP_AFTER_EXPIRY_MS : 0;
    const [granted, remaining, period] = await this.run(tokenId, uses, atMs, until);
    if (granted === 1) this.pending.set(tokenId, { remaining, period });
    return { granted: granted === 1, remaining, period };
  }

  async peek(tokenId: string, uses: UsesState, atMs: number): Promise<number> {
    return (await this.run(tokenId, uses, atMs, null))[1];
  }

  unspent(): number {
    return 0;
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.repo.writeBack(batch);
    } catch (e) {
      // Redis holds the count; the stored copy catches up with the next use.
      this.logger.warn({ err: loggableError(e), tokens: batch.size }, 'uses write-back failed');
    }
  }

  close(): void {
    disconnectNow(this.client);
  }

  /** The script: a use taken (with the key kept `until`, 0: for good), or with `until` null, a look. */
  private async run(tokenId: string, uses: UsesState, atMs: number, until: number | null) {
    try {
      return await this.client.spendUse(
        tokenId,
        uses.remaining,
        uses.period,
        usesPeriodOf(uses.refill?.interval, atMs),
        refilledCount(uses),
        uses.limit,
        until === null ? '0' : '1',
        until ?? 0,
      );
    } catch {
      throw new StorageUnavailableError('The token’s uses could not be counted; retry', 1);
    }
  }
}

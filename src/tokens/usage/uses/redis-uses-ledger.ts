import { Logger } from '@nestjs/common';
import type { RedisClient, RedisConnections } from '../../../redis/redis-connections';
import { StorageUnavailableError } from '../../../common/errors/domain-error';
import { disconnectNow } from '../../../redis/redis-disconnect';
import { loggableError } from '../../../common/errors/safe-error';
import { BLOCK_MAX, BLOCK_SHARE, refilledCount, usesPeriodOf, type UsesState } from './token-uses';
import type {
  StoredCount,
  TokenUsesRepository,
} from '../../store/repositories/token-uses.repository';
import type { Spent, SpendingToken, UsesLedger } from './uses-ledger';
import { UsesLeases, type Lease } from './uses-leases';

/**
 * One token's count, in one hash (`l`: left, `p`: its period, `m`: the limit it was last leased
 * under), so it runs on a Cluster as is.
 * ARGV: the stored count and period (the seed, for a key Redis does not hold yet), the current
 * period, what a refill sets the count to, the limit (a PATCH may have lowered it), the uses
 * wanted at least (0: only look), when the key may go (ms since the epoch; 0: never), and the
 * block's share and cap (`blockOf`, computed here on the count as it is, so two instances racing
 * for the last uses each get one). Answers {uses leased, left after, period}.
 */
const LEASE_USES = `
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
local want = tonumber(ARGV[6])
if want == 0 then return {0, left, period} end
local block = math.floor(left / tonumber(ARGV[8]))
if block > tonumber(ARGV[9]) then block = tonumber(ARGV[9]) end
if block < want then block = want end
if block > left then block = left end
if block < 0 then block = 0 end
left = left - block
redis.call('HSET', KEYS[1], 'l', left, 'p', period, 'm', limit)
if ARGV[7] ~= '0' then redis.call('PEXPIREAT', KEYS[1], ARGV[7]) end
return {block, left, period}`;

/**
 * Hands back leased uses that were not spent (ARGV: how many, their period, the limit they were
 * leased under), only into the same period and only while no lease has been taken under another
 * limit since: once one has, the count was trimmed to a lowered limit (a PATCH), and uses handed
 * back on top would grant more than it after the change. Refused, they are lost (under-served).
 * A key Redis no longer holds takes nothing (its seed, the stored count, is at or below the truth).
 */
const GIVE_BACK = `
local fields = redis.call('HMGET', KEYS[1], 'l', 'p', 'm')
if not fields[1] or tonumber(fields[2]) ~= tonumber(ARGV[2]) then return 0 end
if tonumber(fields[3]) ~= tonumber(ARGV[3]) then return 0 end
local left = tonumber(fields[1]) + tonumber(ARGV[1])
if left > tonumber(ARGV[3]) then left = tonumber(ARGV[3]) end
redis.call('HSET', KEYS[1], 'l', left)
return 1`;

type UsesRedis = RedisClient & {
  leaseUses(key: string, ...args: (string | number)[]): Promise<[number, number, number]>;
  giveBack(key: string, ...args: (string | number)[]): Promise<number>;
};

/**
 * How long a count outlives its token's expiry: past it the token is refused before any use is
 * asked for, so the key only has to outlast clocks that disagree.
 */
const KEEP_AFTER_EXPIRY_MS = 86_400_000;

/**
 * The count in Redis, shared by every instance, spent in leases: one atomic script takes a block
 * of uses (`blockOf`: 1 % of what is left, 1 to 100, or as many as requests wait) off the shared
 * count before any of it is granted, and this process grants them one by one (`UsesLeases`, in
 * `uses-leases.ts`, with how long a lease lives and when it is handed back). The count thus
 * never over-serves across instances, and a `kill -9` loses at most the unspent part of a lease.
 * Below 200 uses left a block is one use, so the last uses are exact on every instance, as with
 * one script per use. A Redis that does not answer refuses the request (503) once the lease is
 * spent. Counts are written back to the database every second (only ever downwards within a
 * period), for the views and as the seed should Redis lose a key.
 */
export class RedisUsesLedger implements UsesLedger {
  private readonly logger = new Logger('TokenUses');
  private readonly client: UsesRedis;
  private pending = new Map<string, StoredCount>();
  /** The batch being written back: the stored count does not count it yet either. */
  private writing: ReadonlyMap<string, StoredCount> = new Map();
  private readonly leases = new UsesLeases({
    take: (token, uses, atMs, want) => {
      const until = token.expiresAt ? token.expiresAt.getTime() + KEEP_AFTER_EXPIRY_MS : 0;
      return this.run(token.id, uses, atMs, want, until);
    },
    giveBack: (tokenId, lease) => this.giveBack(tokenId, lease),
    leased: (tokenId, count) => this.pending.set(tokenId, count),
  });

  constructor(
    connections: RedisConnections,
    keyPrefix: string,
    private readonly repo: TokenUsesRepository,
    /** How long a request waits on Redis for its use before it is refused (503), never let through. */
    commandTimeoutMs: number,
  ) {
    this.client = connections.client({
      keyPrefix,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: commandTimeoutMs,
    }) as UsesRedis;
    this.client.defineCommand('leaseUses', { numberOfKeys: 1, lua: LEASE_USES });
    this.client.defineCommand('giveBack', { numberOfKeys: 1, lua: GIVE_BACK });
    // Each refused request says so itself (503); the connection's own errors need no line each.
    this.client.on('error', () => undefined);
  }

  async connect(): Promise<void> {
    await this.client.connect().catch(() => undefined);
  }

  take(token: SpendingToken, uses: UsesState, atMs: number): Spent | Promise<Spent> {
    return this.leases.take(token, uses, atMs);
  }

  async peek(tokenId: string, uses: UsesState, atMs: number): Promise<number> {
    const [, left, period] = await this.run(tokenId, uses, atMs, 0, 0);
    return Math.min(uses.limit, left + this.leases.held(tokenId, period));
  }

  async handOver(token: SpendingToken, uses: UsesState, atMs: number): Promise<number> {
    const mine = this.leases.surrender(token.id, usesPeriodOf(uses.refill?.interval, atMs));
    // Wanting the whole limit leases all that is left: no instance leases more of this count.
    const [taken, left, period] = await this.run(token.id, uses, atMs, uses.limit, 0);
    this.pending.set(token.id, { remaining: left, period });
    return Math.min(uses.limit, taken + mine);
  }

  /**
   * Held beyond the stored count: none until the count after the last lease is written back (the
   * stored one still counts that lease's block), so a view never counts a use twice.
   */
  unspent(tokenId: string, period: number): number {
    if (this.pending.has(tokenId) || this.writing.has(tokenId)) return 0;
    return this.leases.held(tokenId, period);
  }

  release(jti: string): void {
    this.leases.release(jti);
  }

  async flush(final: boolean): Promise<void> {
    const handedBack = final ? await this.leases.handBackAll() : [];
    const batch = this.pending;
    this.pending = new Map();
    this.writing = batch;
    try {
      await this.repo.writeBack(batch);
      // The stored copy follows: what Redis took back, it takes back too (else the views would
      // show those uses as spent for the rest of the period).
      for (const [tokenId, lease] of handedBack) {
        await this.repo.giveBack(tokenId, lease.left, lease.period);
      }
    } catch (e) {
      // Redis holds the count; the stored copy catches up with the next use.
      this.logger.warn({ err: loggableError(e), tokens: batch.size }, 'uses write-back failed');
    } finally {
      this.writing = new Map();
    }
  }

  close(): void {
    disconnectNow(this.client);
  }

  /** The script: `want` uses leased (the key kept `until`, 0: for good), or with `want` 0, a look. */
  private async run(tokenId: string, uses: UsesState, atMs: number, want: number, until: number) {
    try {
      return await this.client.leaseUses(
        tokenId,
        uses.remaining,
        uses.period,
        usesPeriodOf(uses.refill?.interval, atMs),
        refilledCount(uses),
        uses.limit,
        want,
        until,
        BLOCK_SHARE,
        BLOCK_MAX,
      );
    } catch {
      throw new StorageUnavailableError('The token’s uses could not be counted; retry', 1);
    }
  }

  /** GIVE_BACK for a lease's unspent uses: whether Redis took them. */
  private giveBack(tokenId: string, lease: Lease): Promise<boolean> {
    return this.client.giveBack(tokenId, lease.left, lease.period, lease.limit).then(
      (taken) => taken === 1,
      (e: unknown) => {
        // Not taken back: they are lost (under-served), never granted twice.
        this.logger.warn({ err: loggableError(e) }, 'leased uses not handed back');
        return false;
      },
    );
  }
}

import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { RedisClient, RedisConnections } from '../../bus/redis-connections';
import { StorageUnavailableError } from '../../common/domain-error';
import { lazy } from '../../common/lazy';
import { disconnectNow } from '../../common/redis-disconnect';
import { loggableError } from '../../common/safe-error';
import { BLOCK_MAX, BLOCK_SHARE, refilledCount, usesPeriodOf, type UsesState } from './token-uses';
import type { StoredCount, TokenUsesRepository } from './token-uses.repository';
import type { Spent, SpendingToken, UsesLedger } from './uses-ledger';

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

/** Uses this process leased from Redis for one token and has not spent yet. */
interface Lease {
  jti: string;
  period: number;
  /** The limit it was leased under: a snapshot with another (a PATCH) drops it. */
  limit: number;
  left: number;
  /** Redis's count right after this lease was taken. */
  stored: number;
}

/** A lease being taken for a token, which the requests that find none wait on. */
interface Flight {
  waiters: number;
  done: Promise<{ granted: number; left: number; period: number }>;
}

/**
 * How long a count outlives its token's expiry: past it the token is refused before any use is
 * asked for, so the key only has to outlast clocks that disagree.
 */
const KEEP_AFTER_EXPIRY_MS = 86_400_000;

/** How long a request waits on Redis for its use before it is refused (503), never let through. */
const COMMAND_TIMEOUT_MS = 1000;

/** Leases one request may wait through (each taken by others first) before it is refused (503). */
const MAX_PASSES = 16;

/**
 * The count in Redis, shared by every instance, spent in leases: one atomic script takes a block
 * of uses (`blockOf`: 1 % of what is left, 1 to 100, or as many as requests wait) off the shared
 * count before any of it is granted, and this process grants them one by one. The count thus
 * never over-serves across instances, and a `kill -9` loses at most the unspent part of a lease.
 * Below 200 uses left a block is one use, so the last uses are exact on every instance, as with
 * one script per use. A lease lives in its refill period and under its limit only: a new period
 * drops it, and the verifier's snapshot with a lowered limit (a PATCH, evicted by the bus) ends
 * it before its next use. A clean shutdown and a `token.changed` hand the unspent back (see
 * GIVE_BACK for when Redis refuses them). A Redis that does not answer refuses the request (503)
 * once the lease is spent. Counts are written back to the database every second (only ever
 * downwards within a period), for the views and as the seed should Redis lose a key.
 */
export class RedisUsesLedger implements UsesLedger {
  private readonly logger = new Logger('TokenUses');
  private readonly client: UsesRedis;
  private pending = new Map<string, StoredCount>();
  /** The batch being written back: the stored count does not count it yet either. */
  private writing: ReadonlyMap<string, StoredCount> = new Map();
  /** Made on the first token with a uses limit (`lazy`). */
  private readonly leases = lazy(
    () =>
      new LRUCache<string, Lease>({
        max: 100_000,
        // Pushed out by newer tokens: its uses are lost (under-served), never granted twice.
        dispose: (lease, tokenId) => {
          if (this.byJti.get(lease.jti) === tokenId) this.byJti.delete(lease.jti);
        },
      }),
  );
  /** The leases by jti, which the bus names tokens by. */
  private readonly byJti = new Map<string, string>();
  private readonly flights = new Map<string, Flight>();
  /** Requests a lease left unserved: the next lease for the token takes at least as many. */
  private readonly backlog = new Map<string, number>();
  /** Hand-backs under way, which a final flush waits for. */
  private readonly returning = new Set<Promise<unknown>>();

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
    this.client.defineCommand('leaseUses', { numberOfKeys: 1, lua: LEASE_USES });
    this.client.defineCommand('giveBack', { numberOfKeys: 1, lua: GIVE_BACK });
    // Each refused request says so itself (503); the connection's own errors need no line each.
    this.client.on('error', () => undefined);
  }

  async connect(): Promise<void> {
    await this.client.connect().catch(() => undefined);
  }

  take(token: SpendingToken, uses: UsesState, atMs: number): Spent | Promise<Spent> {
    const period = usesPeriodOf(uses.refill?.interval, atMs);
    return this.spendHeld(token.id, uses, period) ?? this.takeLeasing(token, uses, atMs, period);
  }

  /** A use of the lease this process holds for the token, if it has one left. */
  private spendHeld(tokenId: string, uses: UsesState, period: number): Spent | undefined {
    const lease = this.current(tokenId, period, uses.limit);
    if (!lease || lease.left <= 0) return undefined;
    lease.left -= 1;
    return { granted: true, remaining: lease.stored + lease.left, period };
  }

  /** Leases uses for the token (or waits on the lease being taken), then spends one. */
  private async takeLeasing(
    token: SpendingToken,
    uses: UsesState,
    atMs: number,
    period: number,
  ): Promise<Spent> {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const held = pass === 0 ? undefined : this.spendHeld(token.id, uses, period);
      if (held) return held;
      const flight = this.flights.get(token.id) ?? this.lease(token, uses, atMs);
      flight.waiters += 1;
      const leased = await flight.done;
      if (leased.granted === 0) return { granted: false, remaining: 0, period: leased.period };
    }
    throw new StorageUnavailableError('The token’s uses could not be counted; retry', 1);
  }

  async peek(tokenId: string, uses: UsesState, atMs: number): Promise<number> {
    const [, left, period] = await this.run(tokenId, uses, atMs, 0, 0);
    const lease = this.leases().get(tokenId);
    return Math.min(uses.limit, left + (lease?.period === period ? lease.left : 0));
  }

  /**
   * Held beyond the stored count: none until the count after the last lease is written back (the
   * stored one still counts that lease's block), so a view never counts a use twice.
   */
  unspent(tokenId: string, period: number): number {
    if (this.pending.has(tokenId) || this.writing.has(tokenId)) return 0;
    const lease = this.leases().get(tokenId);
    return lease?.period === period ? lease.left : 0;
  }

  release(jti: string): void {
    const tokenId = this.byJti.get(jti);
    if (tokenId !== undefined) void this.drop(tokenId, true);
  }

  async flush(final: boolean): Promise<void> {
    const handedBack: [string, Lease][] = [];
    if (final) {
      const returns = [...this.leases().entries()].map(async ([tokenId, lease]) => {
        if (await this.drop(tokenId, true)) handedBack.push([tokenId, lease]);
      });
      await Promise.all([...returns, ...this.returning]);
    }
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

  /**
   * The token's lease for `period` under `limit`. One of another period is dropped (a refill
   * has set the count since: its uses belonged to a period that is over); one leased under
   * another limit (a PATCH lowered it) is handed back, and Redis trims the count to the limit.
   */
  private current(tokenId: string, period: number, limit: number): Lease | undefined {
    const lease = this.leases().get(tokenId);
    if (!lease) return undefined;
    if (lease.period === period && lease.limit === limit) return lease;
    void this.drop(tokenId, lease.period === period);
    return undefined;
  }

  /** Takes the next lease for the token; the requests that found none wait on it. */
  private lease(token: SpendingToken, uses: UsesState, atMs: number): Flight {
    const want = Math.max(1, this.backlog.get(token.id) ?? 0);
    this.backlog.delete(token.id);
    const until = token.expiresAt ? token.expiresAt.getTime() + KEEP_AFTER_EXPIRY_MS : 0;
    const flight: Flight = {
      waiters: 0,
      done: this.run(token.id, uses, atMs, want, until)
        .then(([granted, left, period]) => {
          if (granted > 0) this.keep(token, uses.limit, { granted, left, period });
          // The waiters are served in order as this settles; those left over lease again, together.
          if (flight.waiters > granted && granted > 0) {
            this.backlog.set(token.id, flight.waiters - granted);
          }
          return { granted, left, period };
        })
        .finally(() => this.flights.delete(token.id)),
    };
    this.flights.set(token.id, flight);
    return flight;
  }

  private keep(
    token: SpendingToken,
    limit: number,
    leased: { granted: number; left: number; period: number },
  ) {
    const prior = this.leases().get(token.id);
    const kept = prior?.period === leased.period && prior.limit === limit ? prior.left : 0;
    this.leases().set(token.id, {
      jti: token.jti,
      period: leased.period,
      limit,
      left: kept + leased.granted,
      stored: leased.left,
    });
    this.byJti.set(token.jti, token.id);
    this.pending.set(token.id, { remaining: leased.left, period: leased.period });
  }

  /**
   * Forgets the token's lease; with `giveBack`, hands its unspent uses back to Redis: whether
   * Redis took them (null: there were none to hand back).
   */
  private drop(tokenId: string, giveBack: boolean): Promise<boolean> | null {
    const lease = this.leases().get(tokenId);
    if (!lease) return null;
    this.leases().delete(tokenId);
    if (!giveBack || lease.left === 0) return null;
    const returned = this.client.giveBack(tokenId, lease.left, lease.period, lease.limit).then(
      (taken) => taken === 1,
      (e: unknown) => {
        // Not taken back: they are lost (under-served), never granted twice.
        this.logger.warn({ err: loggableError(e) }, 'leased uses not handed back');
        return false;
      },
    );
    const settled: Promise<void> = returned.then(() => {
      this.returning.delete(settled);
    });
    this.returning.add(settled);
    return returned;
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
}

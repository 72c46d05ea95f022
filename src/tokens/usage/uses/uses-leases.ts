import { boundedLru } from '../../../common/bounded-lru';
import { StorageUnavailableError } from '../../../common/errors/domain-error';
import { lazy } from '../../../common/lazy';
import { usesPeriodOf, type UsesState } from './token-uses';
import type { StoredCount } from '../../store/repositories/token-uses.repository';
import type { Spent, SpendingToken } from './uses-ledger';

/** Uses this process leased from Redis for one token and has not spent yet. */
export interface Lease {
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

/** The shared count the leases are taken from and handed back to: Redis's scripts. */
export interface LeaseSource {
  /** Leases at least `want` uses off the shared count: {uses leased, left after, period}. */
  take(
    token: SpendingToken,
    uses: UsesState,
    atMs: number,
    want: number,
  ): Promise<[number, number, number]>;
  /** Hands a lease's unspent uses back: whether the shared count took them (never rejects). */
  giveBack(tokenId: string, lease: Lease): Promise<boolean>;
  /** A lease was taken: the shared count after it, which the stored copy is to follow. */
  leased(tokenId: string, count: StoredCount): void;
}

/** Leases one request may wait through (each taken by others first) before it is refused (503). */
const MAX_PASSES = 16;

/**
 * The leases this process holds, one per token, granted one use at a time: a use of a held lease
 * is spent at once, with no promise; requests that find none wait on the one being taken. A
 * lease lives in its refill period and under its limit only: a new period drops it, and the
 * verifier's snapshot with a lowered limit (a PATCH, evicted by the bus) ends it before its next
 * use. A clean shutdown and a `token.changed` hand the unspent back (see GIVE_BACK in
 * `redis-uses-ledger.ts` for when Redis refuses them).
 */
export class UsesLeases {
  /** Made on the first token with a uses limit (`lazy`). */
  private readonly leases = lazy(() =>
    boundedLru<string, Lease>(100_000, {
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

  constructor(private readonly source: LeaseSource) {}

  /** One use for the token: at once from a held lease, else once a lease is taken. */
  take(token: SpendingToken, uses: UsesState, atMs: number): Spent | Promise<Spent> {
    const period = usesPeriodOf(uses.refill?.interval, atMs);
    return this.spendHeld(token.id, uses, period) ?? this.takeLeasing(token, uses, atMs, period);
  }

  /** The unspent uses this process holds for the token in `period` (0: none). */
  held(tokenId: string, period: number): number {
    const lease = this.leases().get(tokenId);
    return lease?.period === period ? lease.left : 0;
  }

  /** The token changed: its lease, if any, is handed back. */
  release(jti: string): void {
    const tokenId = this.byJti.get(jti);
    if (tokenId !== undefined) void this.drop(tokenId, true);
  }

  /**
   * Ends the token's lease without handing it back (a rotation hands its uses to the successor):
   * its unspent uses in `period`, which this process spends no more.
   */
  surrender(tokenId: string, period: number): number {
    const held = this.held(tokenId, period);
    void this.drop(tokenId, false);
    return held;
  }

  /** Hands every lease back and waits for all hand-backs under way: those the source took. */
  async handBackAll(): Promise<[string, Lease][]> {
    const handedBack: [string, Lease][] = [];
    const returns = [...this.leases().entries()].map(async ([tokenId, lease]) => {
      if (await this.drop(tokenId, true)) handedBack.push([tokenId, lease]);
    });
    await Promise.all([...returns, ...this.returning]);
    return handedBack;
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
    const flight: Flight = {
      waiters: 0,
      done: this.source
        .take(token, uses, atMs, want)
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
    this.source.leased(token.id, { remaining: leased.left, period: leased.period });
  }

  /**
   * Forgets the token's lease; with `giveBack`, hands its unspent uses back to the source:
   * whether it took them (null: there were none to hand back).
   */
  private drop(tokenId: string, giveBack: boolean): Promise<boolean> | null {
    const lease = this.leases().get(tokenId);
    if (!lease) return null;
    this.leases().delete(tokenId);
    if (!giveBack || lease.left === 0) return null;
    const returned = this.source.giveBack(tokenId, lease);
    const settled: Promise<void> = returned.then(() => {
      this.returning.delete(settled);
    });
    this.returning.add(settled);
    return returned;
  }
}

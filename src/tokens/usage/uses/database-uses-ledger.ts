import { boundedLru } from '../../../common/bounded-lru';
import { lazy } from '../../../common/lazy';
import { StorageUnavailableError } from '../../../common/errors/domain-error';
import type { Transaction } from '../../../database/units/unit-of-work';
import { blockOf, remainingAt, usesPeriodOf, type UsesState } from './token-uses';
import type { TokenUsesRepository } from '../../store/repositories/token-uses.repository';
import type { Spent, SpendingToken, UsesLedger } from './uses-ledger';

/** Uses this process reserved in the database and has not spent yet, for one token. */
interface Held {
  period: number;
  left: number;
  /** The stored count right after this process's last reservation. */
  stored: number;
  /** The stored count had nothing left in `period`: refused with no query until it ends. */
  spent: boolean;
}

/** Reservations lost to concurrent writers before the request is refused (503) rather than guessed. */
const MAX_PASSES = 16;

/**
 * The count without Redis: in the process, in blocks reserved in the database *before* any use
 * of the block is granted (a compare-and-set on the stored count). The stored count is thus
 * always at or below the true one: a `kill -9` loses the unspent part of a block (at most
 * `BLOCK_MAX`, or as many as requests then waited for it; exactly none at one use per block), so after a restart
 * the count can only have gone down, never up. A clean shutdown hands the unspent part back.
 * Being a compare-and-set, it is exact across instances on one PostgreSQL too.
 */
export class DatabaseUsesLedger implements UsesLedger {
  /** Made on the first token with a uses limit (`lazy`). */
  private readonly held = lazy(() => boundedLru<string, Held>(100_000));
  /** One reservation in flight per token, which concurrent requests wait on. */
  private readonly reserving = new Map<string, Promise<void>>();
  /** Requests waiting for a token's uses: the next block is at least as large. */
  private readonly waiting = new Map<string, number>();

  constructor(private readonly repo: TokenUsesRepository) {}

  take({ id: tokenId }: SpendingToken, uses: UsesState, atMs: number): Spent | Promise<Spent> {
    const period = usesPeriodOf(uses.refill?.interval, atMs);
    return this.spendHeld(tokenId, uses, period) ?? this.takeReserving(tokenId, uses, atMs, period);
  }

  /** A use of the block this process holds, or the refusal it already knows; else undefined. */
  private spendHeld(tokenId: string, uses: UsesState, period: number): Spent | undefined {
    const held = this.current(tokenId, period, uses.limit);
    if (held && held.left > 0) {
      held.left -= 1;
      return { granted: true, remaining: held.stored + held.left, period };
    }
    if (held?.spent) return { granted: false, remaining: 0, period };
    return undefined;
  }

  /** Reserves a block for the token (or waits on the one being reserved), then spends a use. */
  private async takeReserving(
    tokenId: string,
    uses: UsesState,
    atMs: number,
    period: number,
  ): Promise<Spent> {
    this.waiting.set(tokenId, (this.waiting.get(tokenId) ?? 0) + 1);
    try {
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        const known = pass === 0 ? undefined : this.spendHeld(tokenId, uses, period);
        if (known) return known;
        let reservation = this.reserving.get(tokenId);
        if (!reservation) {
          reservation = this.reserve(tokenId, atMs).finally(() => this.reserving.delete(tokenId));
          this.reserving.set(tokenId, reservation);
        }
        await reservation;
      }
      throw new StorageUnavailableError('The token’s uses could not be counted; retry', 1);
    } finally {
      const left = (this.waiting.get(tokenId) ?? 1) - 1;
      if (left > 0) this.waiting.set(tokenId, left);
      else this.waiting.delete(tokenId);
    }
  }

  async peek(tokenId: string, uses: UsesState, atMs: number): Promise<number> {
    const held = this.current(tokenId, usesPeriodOf(uses.refill?.interval, atMs), uses.limit);
    if (held) return held.stored + held.left;
    const stored = await this.repo.readAlone(tokenId);
    return stored ? remainingAt(stored, atMs) : 0;
  }

  async handOver(
    { id: tokenId }: SpendingToken,
    uses: UsesState,
    atMs: number,
    tx: Transaction,
  ): Promise<number> {
    // The stored count, read in the rotation's transaction (which sets it to none), with this
    // process's unspent block; another instance's block was taken off the count already, and is
    // spent on the old token until that instance hears of the change.
    const period = usesPeriodOf(uses.refill?.interval, atMs);
    const mine = this.unspent(tokenId, period);
    this.held().set(tokenId, { period, left: 0, stored: 0, spent: true });
    const stored = await this.repo.read(tokenId, tx);
    const live = stored ? remainingAt(stored, atMs) : 0;
    return Math.min(uses.limit, live + mine);
  }

  unspent(tokenId: string, period: number): number {
    const held = this.held().get(tokenId);
    return held?.period === period ? held.left : 0;
  }

  async flush(final: boolean): Promise<void> {
    // Every grant was written ahead: only a clean shutdown has anything to write (give back).
    const holdings = this.held.peek();
    if (!final || !holdings) return;
    for (const [tokenId, held] of holdings.entries()) {
      if (held.left > 0) await this.repo.giveBack(tokenId, held.left, held.period);
    }
    holdings.clear();
  }

  /** A changed token needs nothing here: each use re-checks its holding against the limit. */
  release(): void {}

  close(): void {}

  /**
   * The token's holding in `period`, trimmed to `limit`: a PATCH that lowered the limit
   * left the stored count at most the limit, and the uses left, held ones included, too.
   */
  private current(tokenId: string, period: number, limit: number): Held | undefined {
    const held = this.held().get(tokenId);
    if (held?.period !== period) return undefined;
    if (held.stored + held.left > limit) {
      const stored = Math.min(held.stored, limit);
      held.left = limit - stored;
      held.stored = stored;
    }
    return held;
  }

  /** Reserves the next block, or learns that none is left in the period; one pass of `take`. */
  private async reserve(tokenId: string, atMs: number): Promise<void> {
    let block = 0;
    const { stored, written } = await this.repo.swapFromStored(tokenId, (count) => {
      const live = remainingAt(count, atMs);
      if (live <= 0) return null;
      // As many as wait, when more wait than a block holds: each pass serves all of them.
      block = Math.min(live, Math.max(blockOf(live), this.waiting.get(tokenId) ?? 0));
      return { remaining: live - block, period: usesPeriodOf(count.refill?.interval, atMs) };
    });
    const period = usesPeriodOf(stored?.refill?.interval, atMs);
    const prior = this.held().get(tokenId);
    const kept = prior?.period === period ? prior.left : 0;
    const live = stored ? remainingAt(stored, atMs) : 0;
    if (!stored || live <= 0) {
      this.held().set(tokenId, { period, left: kept, stored: 0, spent: kept === 0 });
    } else if (written) {
      this.held().set(tokenId, { period, left: kept + block, stored: live - block, spent: false });
    }
  }
}

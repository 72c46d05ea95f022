import type { ValidationIssue } from '../../../common/errors/domain-error';
import type { Refill, UsesState } from '../../store/entities/api-token.entity';
import {
  nextRefillAt,
  refillPeriodOf,
  REFILL_INTERVALS,
  secondsToRefill as secondsUntilRefill,
} from '../../../common/refill-period';

/** A token's refill period: `refillPeriodOf`, by the name the uses code has always used. */
export const usesPeriodOf = refillPeriodOf;
export { nextRefillAt, REFILL_INTERVALS };
export { usesOfRow, type Refill, type UsesState } from '../../store/entities/api-token.entity';

export const USES_LIMIT_MAX = 1_000_000_000;

/**
 * Most uses one instance takes ahead of its requests at a time (a block, or lease), in either
 * ledger: what a `kill -9` can lose at worst, per token and instance, and a shared-store round
 * trip per this many requests at most.
 */
export const BLOCK_MAX = 100;
/**
 * A block is at most this fraction's reciprocal of what is left: 1 % of it, so uses an idle or
 * crashed instance holds are a small share of the rest, and a token with fewer than
 * 2 × BLOCK_SHARE uses left goes one use (one atomic step) at a time, exact on every instance.
 */
export const BLOCK_SHARE = 100;

/** The block taken ahead when `left` uses are left: 1 % of them, from 1 to BLOCK_MAX. */
export const blockOf = (left: number) =>
  Math.min(BLOCK_MAX, Math.max(1, Math.floor(left / BLOCK_SHARE)));

/** What one refill sets the count back to: its amount, never above the limit (which PATCH may lower). */
export const refilledCount = (state: Pick<UsesState, 'limit' | 'refill'>) =>
  Math.min(state.refill?.amount ?? 0, state.limit);

/** The uses left at `atMs`: a refill that is due counts as made, and never above the limit. */
export function remainingAt(state: UsesState, atMs: number): number {
  const left =
    state.refill && state.period < usesPeriodOf(state.refill.interval, atMs)
      ? refilledCount(state)
      : state.remaining;
  return Math.min(left, state.limit);
}

/** Seconds until the next refill, for `Retry-After`; null when none is due (no refill). */
export function secondsToRefill(state: UsesState, atMs: number): number | null {
  return secondsUntilRefill(state.refill?.interval, atMs);
}

/** The columns that store `uses` (all null for a token with no limit). */
export function usesColumns(uses: UsesState | null) {
  return {
    usesLimit: uses?.limit ?? null,
    usesRemaining: uses?.remaining ?? null,
    usesPeriod: uses ? uses.period : null,
    refillInterval: uses?.refill?.interval ?? null,
    refillAmount: uses?.refill?.amount ?? null,
  };
}

/** The uses a create body asked for: `uses_limit` and `refill`; undefined: left out. */
export interface RequestedUses {
  uses_limit?: number;
  refill?: Refill;
}

/**
 * The uses a new token gets: left out, it takes `base`'s (a successor's predecessor, as counted
 * now), else what was asked. A maker with a uses limit makes no tokens (`cappedConstraints`), so
 * no maker caps it. `atMs` starts a new token's count in its period.
 */
export function cappedUses(
  requested: RequestedUses,
  base: UsesState | null,
  atMs: number,
): UsesState | null {
  let uses: UsesState | null = base && { ...base, remaining: remainingAt(base, atMs) };
  if (requested.uses_limit !== undefined) {
    const limit = requested.uses_limit;
    uses = { limit, remaining: limit, period: 0, refill: null };
  }
  if (requested.refill !== undefined && uses) uses = { ...uses, refill: requested.refill };
  if (!uses) return null;
  return { ...uses, period: usesPeriodOf(uses.refill?.interval, atMs) };
}

/** A refill asked for with no limit of uses, or refilling above the limit: 422 issues. */
export function refillIssues(requested: RequestedUses, base: UsesState | null): ValidationIssue[] {
  const refill = requested.refill;
  if (refill === undefined) return [];
  const limit = requested.uses_limit ?? base?.limit;
  if (limit === undefined) {
    return [{ loc: ['body', 'refill'], msg: 'A refill needs a uses_limit', type: 'missing' }];
  }
  if (refill.amount > limit) {
    return [
      {
        loc: ['body', 'refill', 'amount'],
        msg: `Input should be at most uses_limit, ${limit}`,
        type: 'less_than_equal',
        input: refill.amount,
        ctx: { le: limit },
      },
    ];
  }
  return [];
}

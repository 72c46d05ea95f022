/** How often a refilled count (a token's uses, a credit balance) is set back to its amount. */
export type RefillInterval = 'daily' | 'monthly';
export const REFILL_INTERVALS: readonly RefillInterval[] = ['daily', 'monthly'];

const DAY_MS = 86_400_000;

/** The refill period `atMs` falls in: UTC days or months since 1970; 0 without a refill. */
export function refillPeriodOf(interval: RefillInterval | null | undefined, atMs: number): number {
  if (!interval) return 0;
  if (interval === 'daily') return Math.floor(atMs / DAY_MS);
  const at = new Date(atMs);
  return (at.getUTCFullYear() - 1970) * 12 + at.getUTCMonth();
}

/** When the period after `atMs`'s begins (the next refill), in ms since the epoch. */
export function nextRefillAt(interval: RefillInterval, atMs: number): number {
  if (interval === 'daily') return (Math.floor(atMs / DAY_MS) + 1) * DAY_MS;
  const at = new Date(atMs);
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
}

/** Whole seconds until the next refill, for `Retry-After`; null without a refill. */
export function secondsToRefill(interval: RefillInterval | null | undefined, atMs: number) {
  if (!interval) return null;
  return Math.max(1, Math.ceil((nextRefillAt(interval, atMs) - atMs) / 1000));
}

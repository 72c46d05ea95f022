export const DEFAULT_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

// A delay beyond a week is a typo for a smaller unit, and keeps the arithmetic far from overflow.
const MAX_DELAY_MS = 7 * UNIT_MS.d;
const MAX_RETRY_AFTER_MS = UNIT_MS.d;

// ±20%: attempts that failed together (an endpoint's outage) spread out instead of returning
// together.
const JITTER = 0.2;

/**
 * Parses "5s,5m,30m,2h,5h,10h,10h" (units ms, s, m, h, d; spaces around items tolerated) into
 * milliseconds; throws an Error naming the bad item.
 */
export function parseRetrySchedule(text: string): number[] {
  return text.split(',').map((raw) => {
    const item = raw.trim();
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(item);
    const shown = JSON.stringify(item.slice(0, 32));
    if (!match) {
      throw new Error(
        `retry schedule item ${shown} is not a whole number with a unit (ms, s, m, h or d)`,
      );
    }
    const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    if (ms > MAX_DELAY_MS) throw new Error(`retry schedule item ${shown} is longer than 7d`);
    return ms;
  });
}

/**
 * The delay before attempt `attempt + 1` after `attempt` failed attempts (attempt >= 1), or null
 * when the schedule is spent. The scheduled delay gets a uniform ±20% jitter from `random()`; a
 * Retry-After (seconds, from a 429 or 503) replaces it when larger, capped at 24 h.
 */
export function nextDelayMs(
  schedule: readonly number[],
  attempt: number,
  retryAfterSeconds: number | null,
  random: () => number = Math.random,
): number | null {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be a whole number from 1, not ${attempt}`);
  }
  if (attempt > schedule.length) return null;
  const scheduled = schedule[attempt - 1] * (1 - JITTER + 2 * JITTER * random());
  const delay = Math.max(0, Math.round(scheduled));
  if (retryAfterSeconds === null || !(retryAfterSeconds > 0)) return delay;
  // Retry-After is the server's own word on when it can take us, so it is kept as given, unjittered.
  return Math.max(delay, Math.min(Math.round(retryAfterSeconds * 1000), MAX_RETRY_AFTER_MS));
}

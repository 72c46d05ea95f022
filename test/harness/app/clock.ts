import { sleep } from '../stats';

/**
 * For a test whose subject is a moment a few seconds ahead (a token's expiry, a grace period's
 * end) on an app that reads the real clock. Runs `setUp` with a moment `firstMs` ahead, and hands
 * back the moment once the setup has finished before it. On a busy machine a setup can outlast a
 * short window; then its "still good" checks ran too late to prove anything, so it is set up
 * again, anew, with a window four times as long, up to `longestMs`. A setup that fails before its
 * moment has come is the test's failure, thrown at once.
 *
 * Jest's fake clock is no way round: it replaces the global `Date`, and TypeORM then no longer
 * knows the entities' `Date` columns (`type === Date`) and hands them back as strings.
 */
export async function beforeMoment<T>(
  setUp: (at: Date) => Promise<T>,
  { firstMs = 2_500, longestMs = 40_000 } = {},
): Promise<{ at: Date; value: T }> {
  for (let windowMs = firstMs; ; windowMs *= 4) {
    const at = new Date(Date.now() + windowMs);
    const last = windowMs * 4 > longestMs;
    try {
      const value = await setUp(at);
      if (Date.now() < at.getTime()) return { at, value };
    } catch (error) {
      if (last || Date.now() < at.getTime()) throw error;
    }
    if (last) throw new Error(`the setup outlasted its longest window (${windowMs} ms)`);
    console.log(`The setup outlasted a ${windowMs} ms window; set up again with a longer one.`);
  }
}

/** Waits until `marginMs` past `at`. */
export const sleepPast = (at: Date, marginMs = 200): Promise<void> =>
  sleep(Math.max(0, at.getTime() - Date.now() + marginMs));

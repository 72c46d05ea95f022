import { sleep } from './stats';

/**
 * How long a test waits for what is on its way (a delivery, a flushed count, a log line, a
 * message) before it gives up: a bound on a hang, never a measure of speed, so a machine busy
 * with other work only makes a run slower (docs/testing.md, "No clock a busy machine can break").
 * A wait whose bound makes its point (a cache's TTL, a receiver's timeout) keeps that bound.
 */
export const PATIENCE_MS = 60_000;

/** The moment a wait that starts now gives up. */
export function patienceDeadline(): number {
  return Date.now() + PATIENCE_MS;
}

/**
 * PostgreSQL's and Redis's bounds for an app under test, in process or as a process: as patient
 * as the tests. A machine busy with other work can keep writes queued on one audit chain past the
 * product's 3 s; the suites that test the bounds set them as shipped (DB_TIMEOUTS_AS_SHIPPED).
 */
export const PATIENT_TIMEOUTS = {
  DB_STATEMENT_TIMEOUT_MS: '120000',
  DB_QUERY_TIMEOUT_MS: '150000',
  DB_CONNECT_TIMEOUT_MS: '120000',
  // A request's wait on Redis (its uses, its rate limit, a DPoP proof): 500 raced requests on a
  // machine at load 15 kept answers from Redis past the product's 1 s. The suite that tests the
  // bound on a frozen Redis sets it as shipped.
  REDIS_COMMAND_TIMEOUT_MS: '60000',
} as const;

/**
 * Polls `probe` until it answers true, every `everyMs`, for at most `withinMs` (the tests'
 * patience unless the bound makes a point); answers how long it took.
 */
export async function eventually(
  probe: () => Promise<boolean> | boolean,
  withinMs = PATIENCE_MS,
  everyMs = 10,
): Promise<number> {
  const start = Date.now();
  if (!(await lastReading(probe, (held) => held, everyMs, withinMs))) {
    throw new Error(`not true within ${withinMs} ms`);
  }
  return Date.now() - start;
}

/**
 * `eventually`, for a wait a reader should be able to name when it gives up: its error (the
 * bound's, or the check's own) says what never came, and `what` may read the last value seen.
 */
export async function waitFor(
  what: string | (() => string),
  check: () => Promise<boolean> | boolean,
  withinMs = PATIENCE_MS,
  everyMs = 200,
): Promise<void> {
  await eventually(check, withinMs, everyMs).catch((e: Error) => {
    throw new Error(`waiting for ${typeof what === 'string' ? what : what()}: ${e.message}`, {
      cause: e,
    });
  });
}

/**
 * Reads `read` every `everyMs` until `done` holds of its answer, for at most `withinMs` (the
 * tests' patience unless the bound makes a point), and answers the last reading either way: the
 * caller's assertion on it says what never came.
 */
export async function lastReading<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  everyMs = 50,
  withinMs = PATIENCE_MS,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(everyMs);
  }
}

/**
 * Which server-backed suites run. They run when their variable is set, and then a server that
 * does not answer fails the run: nothing is skipped silently.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const TEST_REDIS_URL = process.env.REDIS_URL || undefined;

export type Driver = 'sqlite' | 'postgres';

/** The databases every e2e suite runs against: SQLite always, PostgreSQL when configured. */
export const DRIVERS: Driver[] = TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

/**
 * `describe` when `met`; otherwise `describe.skip`, its title saying why it is left out
 * (`… (left out: set REDIS_URL)`), so the run's summary names the reason beside each skip.
 */
export const describeIf =
  (met: boolean, whyNot: string) =>
  (name: string, fn: () => void): void =>
    met ? describe(name, fn) : describe.skip(`${name} (left out: ${whyNot})`, fn);

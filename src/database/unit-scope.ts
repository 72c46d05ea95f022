import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where a unit of work stands, as seen by the code that runs inside it: `open` while its
 * callback runs; `done` once it committed or rolled back; `abandoned` when the watchdog gave up
 * on it (`UnitOfWork`), its transaction rolled back under it.
 */
export type UnitState = 'open' | 'done' | 'abandoned';

export interface UnitScope {
  state: UnitState;
}

const scopes = new AsyncLocalStorage<UnitScope>();

/** Runs `work` as the unit `scope`: whatever it awaits, and calls, sees that unit. */
export function runInUnit<T>(scope: UnitScope, work: () => T): T {
  return scopes.run(scope, work);
}

/** The unit of work the calling code runs in, if any. */
export function currentUnit(): UnitScope | undefined {
  return scopes.getStore();
}

/**
 * Refuses a statement of a unit the watchdog abandoned: its transaction is gone, and on SQLite's
 * one connection the statement would run in the next unit's transaction, or in none.
 */
export function assertUnitNotAbandoned(): void {
  if (scopes.getStore()?.state === 'abandoned') {
    throw new Error('A statement of an abandoned unit of work was refused');
  }
}

import type { DataSource } from 'typeorm';
import { openSessionConnection } from '../connection/session-connection';
import { statementsTogether } from './statements-together';
import type { Transaction } from './transaction';

/** The first half of every key-lock's advisory key: "LK", apart from the migration lock's. */
export const KEY_SPACE = 0x4c4b;

/** How a key is held: `shared` for the many that may run together, `exclusive` for the one. */
export type KeyLockMode = 'shared' | 'exclusive';

/**
 * A key lock a unit of work declares when it starts (`UnitOfWork.run(work, { locks })`): taken
 * before the unit's first statement, in the one order (by key), whatever order they were given
 * in. A write that will publish an event before it reaches the code that asks for a key (a member
 * added, then their first token issued under the business policy's key) declares that key, so it
 * is held before the audit chain, as every other path holds it.
 */
export interface KeyLock {
  key: string;
  mode: KeyLockMode;
}

/**
 * Holds a PostgreSQL advisory lock on `key` until the transaction ends: `shared` for the many
 * that may run together, `exclusive` for the one that must run alone. Unlike row locks, the
 * lock manager queues fairly: a shared request waits behind an exclusive one already waiting,
 * so a stream of shared holders cannot starve it. Keys are hashed to 32 bits; a collision only
 * serializes two unrelated keys. SQLite needs nothing: its units of work run one at a time. A key
 * the transaction already holds as strongly (declared, or asked before) is not asked again.
 */
export async function holdKeyLock(key: string, mode: KeyLockMode, tx: Transaction): Promise<void> {
  if (tx.holdsKey(key, mode)) return;
  tx.noteKeyLock(key, mode);
  if (!tx.postgres) return;
  const lock = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await tx.manager.query(`SELECT ${lock}($1, hashtext($2))`, [KEY_SPACE, key]);
}

/** Takes a unit's declared locks in the one order: by key, each once, exclusive over shared. */
export async function holdDeclaredLocks(locks: readonly KeyLock[], tx: Transaction): Promise<void> {
  const modes = new Map<string, KeyLockMode>();
  for (const { key, mode } of locks) {
    modes.set(key, mode === 'exclusive' || modes.get(key) === 'exclusive' ? 'exclusive' : 'shared');
  }
  for (const key of [...modes.keys()].sort()) await holdKeyLock(key, modes.get(key)!, tx);
}

/**
 * Holds the locks on `keys` (as `holdKeyLock`), then runs `read`, whose statements are sent right
 * behind the locks' (one round trip through a pooler, `statementsTogether`). The server runs them
 * in the order sent, so the read starts, with a snapshot of its own, only once every lock is
 * held: it sees what the locks guard as their last holder left it. The locks are started first
 * and take TypeORM's shortest way to the driver (`EntityManager.query`), so they are sent first.
 */
export async function readUnderKeyLocks<T>(
  keys: readonly string[],
  mode: KeyLockMode,
  read: () => Promise<T>,
  tx: Transaction,
): Promise<T> {
  const locks = keys
    .filter((key) => !tx.holdsKey(key, mode))
    .map((key) => () => holdKeyLock(key, mode, tx));
  const answers = await statementsTogether<unknown[]>(tx.manager, [...locks, read]);
  return answers[answers.length - 1] as T;
}

/** The key that token issuance (shared) and removal (exclusive) take for one membership. */
export const membershipKey = (businessId: string, identityId: string) =>
  `membership:${businessId}:${identityId}`;

/** The key that platform-token issuance (shared) and platform admin removal (exclusive) take. */
export const platformAdminKey = (identityId: string) => `platform-admin:${identityId}`;

/**
 * The key every issuance for one identity takes exclusively, so that the count of its active
 * tokens and the insert that may exceed the cap are one step (MAX_ACTIVE_TOKENS_PER_IDENTITY).
 */
export const activeTokensKey = (businessId: string | null, identityId: string) =>
  `active-tokens:${businessId ?? 'platform'}:${identityId}`;

/**
 * Takes the PostgreSQL advisory lock on `key` for the transaction if no one holds it: false
 * when another instance does, so a job that one instance should run at a time skips its turn.
 * SQLite has one process, and its units of work run one at a time: always true there.
 */
export async function tryKeyLock(key: string, tx: Transaction): Promise<boolean> {
  if (!tx.postgres) return true;
  const rows: { locked: boolean }[] = await tx.manager.query(
    'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
    [KEY_SPACE, key],
  );
  return rows[0]?.locked === true;
}

/**
 * Runs `fn` while this instance holds the PostgreSQL advisory lock on `key` for a session, taken
 * with `try`: null, without running `fn`, when another instance holds it, so a job of many short
 * transactions runs on one instance at a time. The lock lives on a pooled connection kept for the
 * run, so `fn`'s own transactions use others. Should the unlock fail, `pg_advisory_unlock_all`
 * is tried on the way back to the pool; a connection that failed both is a dead one, whose
 * session (and lock) the server has ended. Through a transaction pooler no pooled connection
 * keeps its session, so the lock is held on a direct connection of its own (DATABASE_DIRECT_URL),
 * unlocked and closed when the run ends (the server drops the lock with the session anyway).
 * SQLite has one process: `fn` always runs.
 */
export async function runAlone<T>(
  dataSource: DataSource,
  key: string,
  fn: () => Promise<T>,
): Promise<T | null> {
  if (dataSource.options.type !== 'postgres') return fn();
  const direct = await openSessionConnection(dataSource.options);
  if (direct !== null) {
    try {
      const { rows } = await direct.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
        [KEY_SPACE, key],
      );
      if (rows[0]?.locked !== true) return null;
      try {
        return await fn();
      } finally {
        await direct.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      }
    } finally {
      await direct.end().catch(() => undefined);
    }
  }
  const runner = dataSource.createQueryRunner();
  try {
    const rows = (await runner.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
      KEY_SPACE,
      key,
    ])) as { locked: boolean }[];
    if (rows[0]?.locked !== true) return null;
    try {
      return await fn();
    } finally {
      await runner
        .query('SELECT pg_advisory_unlock($1, hashtext($2))', [KEY_SPACE, key])
        .catch(() => runner.query('SELECT pg_advisory_unlock_all()'))
        .catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}

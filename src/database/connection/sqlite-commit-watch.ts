import type { DataSource } from 'typeorm';

interface PluckedStatement {
  get(): unknown;
}
interface SqliteHandle {
  prepare(sql: string): { pluck(): PluckedStatement };
}

/**
 * Notices commits that other processes made to the same SQLite file (the CLI revoking a token
 * while the server runs), which the in-process bus cannot hear. `PRAGMA data_version` changes
 * exactly when another connection has committed. Reading it is a synchronous call of about a
 * microsecond, but made before every cache hit it was 3% of a cached request's CPU: it is read at
 * most once per `intervalMs`, so another process's commit is seen within that bound (this
 * process's own changes go through the in-process bus at once).
 */
export class SqliteCommitWatch {
  private last: unknown;
  private checkedAt = 0;

  private constructor(
    private readonly dataVersion: PluckedStatement,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {
    this.last = dataVersion.get();
  }

  /** A watch on the app's SQLite connection; null on PostgreSQL. */
  static of(
    dataSource: DataSource,
    intervalMs = SQLITE_COMMIT_CHECK_MS,
    now: () => number = Date.now,
  ): SqliteCommitWatch | null {
    if (dataSource.options.type !== 'better-sqlite3') return null;
    const db = (dataSource.driver as unknown as { databaseConnection?: SqliteHandle })
      .databaseConnection;
    return db
      ? new SqliteCommitWatch(db.prepare('PRAGMA data_version').pluck(), intervalMs, now)
      : null;
  }

  /** True when another process has committed since the last look. */
  changed(): boolean {
    const at = this.now();
    if (at - this.checkedAt < this.intervalMs) return false;
    this.checkedAt = at;
    const version = this.dataVersion.get();
    if (version === this.last) return false;
    this.last = version;
    return true;
  }
}

/** How stale this process's view of another process's SQLite commits may be, at most. */
export const SQLITE_COMMIT_CHECK_MS = 10;

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
 * exactly when another connection has committed; reading it is a synchronous call of about a
 * microsecond, cheap enough to make before every cache hit.
 */
export class SqliteCommitWatch {
  private last: unknown;

  private constructor(private readonly dataVersion: PluckedStatement) {
    this.last = dataVersion.get();
  }

  /** A watch on the app's SQLite connection; null on PostgreSQL. */
  static of(dataSource: DataSource): SqliteCommitWatch | null {
    if (dataSource.options.type !== 'better-sqlite3') return null;
    const db = (dataSource.driver as unknown as { databaseConnection?: SqliteHandle })
      .databaseConnection;
    return db ? new SqliteCommitWatch(db.prepare('PRAGMA data_version').pluck()) : null;
  }

  /** True when another process has committed since the last call. */
  changed(): boolean {
    const now = this.dataVersion.get();
    if (now === this.last) return false;
    this.last = now;
    return true;
  }
}

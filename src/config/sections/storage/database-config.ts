import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { toInt } from '../../env-transforms';

/**
 * Where the database is and how the app holds its connections: PostgreSQL at DATABASE_URL (with
 * the pooler in between, if any) or else SQLite at SQLITE_PATH, the pool's size and its timeouts.
 * Composed into `AppConfig`, which validates it at boot.
 */
export class DatabaseConfig {
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsString()
  @MinLength(1)
  SQLITE_PATH = './data/latchkey.sqlite';

  /**
   * What sits between the app and PostgreSQL: `session` (the server itself, or a pooler in
   * session mode) or `transaction` (PgBouncer's transaction pooling). In `transaction` mode the
   * timeouts are set per transaction (`SET LOCAL`), never as startup parameters, the raw-row
   * reads use unnamed statements, and what needs a session of its own (the migration lock, the
   * single-instance turns, LISTEN) goes to DATABASE_DIRECT_URL (docs/architecture.md).
   */
  @IsIn(['session', 'transaction'])
  DATABASE_POOL_MODE: 'session' | 'transaction' = 'session';

  /**
   * A connection straight to the PostgreSQL server, bypassing the pooler, for the work that needs
   * a session: required with DATABASE_POOL_MODE=transaction. Unset, DATABASE_URL serves it.
   */
  @ValidateIf(
    (c: DatabaseConfig) =>
      c.DATABASE_DIRECT_URL !== undefined ||
      (c.DATABASE_URL !== undefined && c.DATABASE_POOL_MODE === 'transaction'),
  )
  @Matches(/^postgres(ql)?:\/\/.+/, {
    message:
      'must be a postgres:// URL straight to the server (not through the pooler): ' +
      'DATABASE_POOL_MODE=transaction needs it for the migration lock, single-instance turns and LISTEN',
  })
  DATABASE_DIRECT_URL?: string;

  /** The most PostgreSQL connections one instance holds in its pool. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  DB_POOL_MAX = 20;

  /**
   * PostgreSQL's own `statement_timeout` on every app connection: the server cancels a statement
   * that runs longer (SQLSTATE 57014), so a slow query or a lock wait ends while the connection
   * stays usable. Below DB_QUERY_TIMEOUT_MS, so that a live but slow server answers first.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_STATEMENT_TIMEOUT_MS = 3000;

  /**
   * How long the app waits for any answer to a query (`BoundedPgClient` keeps it, to within
   * 100 ms; it is handed to it as `query_timeout`). This is what bounds a request when the server
   * or the network goes silent: the connection is then dropped and the caller gets 503. With the
   * defaults a request is answered within 5 s.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_QUERY_TIMEOUT_MS = 4000;

  /** How long to wait for a new PostgreSQL connection, or for a free one from the pool. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_CONNECT_TIMEOUT_MS = 3000;

  get databaseDriver(): 'postgres' | 'sqlite' {
    return this.DATABASE_URL ? 'postgres' : 'sqlite';
  }

  /** The URL of the connections that need a session of their own (see DATABASE_DIRECT_URL). */
  get sessionDatabaseUrl(): string | undefined {
    return this.DATABASE_DIRECT_URL ?? this.DATABASE_URL;
  }
}

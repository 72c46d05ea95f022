import type { PoolConfig } from 'pg';
import { DataSourceOptions } from 'typeorm';
import type { BoundedPgClientConfig } from './bounded-pg-client';
import { AppConfig } from '../../config/app-config';
import { MIGRATIONS } from '../migration-list';
import { SnakeNamingStrategy } from './snake-naming.strategy';
import { countPrepares } from '../statements/statement-count';

/**
 * TCP keep-alive probes start after this much idle time, so that a pooled connection to a host
 * that vanished (no FIN, no RST) is found dead and dropped rather than handed to a request.
 */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

/**
 * The server ends a session that sits idle inside a transaction this long. The app never pauses
 * inside one, so this only fires when the app side is gone (a partition, a killed process), and
 * then it releases the row locks that session held, such as an audit chain head.
 */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

/**
 * The app pool's options: pg's, the client's own (`BoundedPgClientConfig`), and the URL of a
 * direct connection for what needs a session, when the pool goes through a transaction pooler
 * (DATABASE_DIRECT_URL). pg's clients ignore the keys they do not know.
 */
type LatchkeyPoolConfig = PoolConfig & BoundedPgClientConfig & { sessionUrl?: string };

/**
 * The URL of a direct connection for what needs a session of its own (a session advisory lock,
 * LISTEN), when the app's pool cannot give one (DATABASE_POOL_MODE=transaction); else undefined,
 * and a pooled connection serves.
 */
export function sessionUrlOf(options: DataSourceOptions): string | undefined {
  if (options.type !== 'postgres') return undefined;
  return (options.extra as LatchkeyPoolConfig | undefined)?.sessionUrl;
}

/**
 * True when the app's pool goes through a transaction pooler (DATABASE_POOL_MODE=transaction):
 * each transaction may run on another server connection, so nothing may outlive one there (a
 * named prepared statement, a session setting or lock).
 */
export function throughTransactionPooler(options: DataSourceOptions): boolean {
  if (options.type !== 'postgres') return false;
  return (options.extra as LatchkeyPoolConfig | undefined)?.local_timeouts !== undefined;
}

/**
 * The one DataSource definition, shared by the app, the CLI and `ormconfig.ts`. `entities` is
 * every feature's list, assembled above the features (`core/entities.ts`).
 */
export function dataSourceOptions(
  config: AppConfig,
  entities: NonNullable<DataSourceOptions['entities']>,
): DataSourceOptions {
  const common = {
    entities,
    migrations: MIGRATIONS,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    logging: false,
  } as const;
  if (config.DATABASE_URL) {
    // Required, not imported, so that a process on SQLite (the CLI's default) never loads pg.
    const { BoundedPgClient } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('./bounded-pg-client') as typeof import('./bounded-pg-client');
    // Every wait on PostgreSQL is bounded, so that a slow, silent or vanished server gives the
    // caller a 503 within about 5 s rather than a request that never ends (see docs/configuration.md,
    // "When the database is slow or gone"). Migrations lift these: see migrate.ts.
    const timeouts =
      config.DATABASE_POOL_MODE === 'transaction'
        ? {
            // A transaction pooler refuses timeouts as startup parameters: SET LOCAL instead.
            local_timeouts: {
              statementMs: config.DB_STATEMENT_TIMEOUT_MS,
              idleInTransactionMs: IDLE_IN_TRANSACTION_TIMEOUT_MS,
            },
          }
        : {
            statement_timeout: config.DB_STATEMENT_TIMEOUT_MS,
            idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
          };
    const extra: LatchkeyPoolConfig = {
      Client: BoundedPgClient,
      max: config.DB_POOL_MAX,
      connectionTimeoutMillis: config.DB_CONNECT_TIMEOUT_MS,
      query_timeout: config.DB_QUERY_TIMEOUT_MS,
      ...timeouts,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
      sessionUrl: config.DATABASE_DIRECT_URL,
    };
    return { ...common, type: 'postgres', url: config.DATABASE_URL, extra };
  }
  return {
    ...common,
    type: 'better-sqlite3',
    database: config.SQLITE_PATH,
    enableWAL: config.SQLITE_PATH !== ':memory:',
    prepareDatabase: (db: { pragma(source: string): unknown; prepare(sql: string): unknown }) => {
      countPrepares(db);
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      // Said, not left to the default: better-sqlite3 builds SQLite with
      // SQLITE_DEFAULT_WAL_SYNCHRONOUS=1, so in WAL mode a commit would not wait for the disk,
      // and one acknowledged just before a power loss or an OS crash could be lost (a revocation
      // come back). FULL syncs the WAL at each commit; group commit (UnitOfWork) shares that
      // sync among the units queued behind it (docs/performance.md).
      db.pragma('synchronous = FULL');
    },
  };
}

/**
 * The options of the connection that runs migrations: the app's, without the query and
 * statement timeouts. Waiting for another instance's migration lock, or a long migration, is
 * expected there, and cutting either off would fail the start for nothing. Connecting stays
 * bounded. One connection is enough: the lock, the migrations and their table share it.
 */
export function migrationDataSourceOptions(options: DataSourceOptions): DataSourceOptions {
  if (options.type !== 'postgres') return options;
  const extra = { ...(options.extra as LatchkeyPoolConfig | undefined) };
  delete extra.query_timeout;
  delete extra.statement_timeout;
  delete extra.idle_in_transaction_session_timeout;
  delete extra.local_timeouts;
  // The migration lock is a session's: through a transaction pooler, the direct connection holds it.
  const url = extra.sessionUrl ?? options.url;
  delete extra.sessionUrl;
  return { ...options, url, extra: { ...extra, max: 1 } };
}

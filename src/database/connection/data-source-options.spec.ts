import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PoolConfig } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/load-config';
import { BoundedPgClient } from './bounded-pg-client';
import {
  dataSourceOptions,
  migrationDataSourceOptions,
  sessionUrlOf,
  throughTransactionPooler,
} from './data-source-options';

const POSTGRES = { DATABASE_URL: 'postgres://u@127.0.0.1/db' };

describe(dataSourceOptions.name, () => {
  it('bounds every wait on PostgreSQL with the configured timeouts', () => {
    const sut = dataSourceOptions(
      loadConfig({
        ...POSTGRES,
        DB_STATEMENT_TIMEOUT_MS: '1500',
        DB_QUERY_TIMEOUT_MS: '2500',
        DB_CONNECT_TIMEOUT_MS: '1000',
      }),
      [],
    );
    expect(sut.type).toBe('postgres');
    expect(sut.extra).toMatchObject({
      Client: BoundedPgClient,
      statement_timeout: 1500,
      query_timeout: 2500,
      connectionTimeoutMillis: 1000,
      keepAlive: true,
      keepAliveInitialDelayMillis: expect.any(Number),
    });
  });

  it('gives the migration connection no query or statement timeout, and keeps the rest', () => {
    const app = dataSourceOptions(loadConfig(POSTGRES), []);
    const sut = migrationDataSourceOptions(app);
    const extra = sut.extra as PoolConfig;
    expect(extra.query_timeout).toBeUndefined();
    expect(extra.statement_timeout).toBeUndefined();
    expect(extra.idle_in_transaction_session_timeout).toBeUndefined();
    expect(extra).toMatchObject({ max: 1, connectionTimeoutMillis: 3000, keepAlive: true });
    expect((app.extra as PoolConfig).query_timeout).toBe(4000);
  });

  it('sizes the pool by DB_POOL_MAX, 20 by default', () => {
    expect(dataSourceOptions(loadConfig(POSTGRES), []).extra).toMatchObject({ max: 20 });
    const sut = dataSourceOptions(loadConfig({ ...POSTGRES, DB_POOL_MAX: '7' }), []);
    expect(sut.extra).toMatchObject({ max: 7 });
  });

  it('through a transaction pooler, sends no timeout as a startup parameter and sets them per transaction', () => {
    const direct = 'postgres://u@127.0.0.1:5432/db';
    const sut = dataSourceOptions(
      loadConfig({
        ...POSTGRES,
        DATABASE_POOL_MODE: 'transaction',
        DATABASE_DIRECT_URL: direct,
        DB_STATEMENT_TIMEOUT_MS: '1500',
      }),
      [],
    );
    const extra = sut.extra as PoolConfig;
    expect(extra.statement_timeout).toBeUndefined();
    expect(extra.idle_in_transaction_session_timeout).toBeUndefined();
    expect(extra).toMatchObject({ local_timeouts: { statementMs: 1500 }, query_timeout: 4000 });
    expect(throughTransactionPooler(sut)).toBe(true);
    expect(sessionUrlOf(sut)).toBe(direct);
    const migration = migrationDataSourceOptions(sut);
    expect(migration).toMatchObject({ url: direct, extra: { max: 1 } });
    expect(migration.extra).not.toHaveProperty('local_timeouts');
    expect(migration.extra).not.toHaveProperty('sessionUrl');
    expect(throughTransactionPooler(dataSourceOptions(loadConfig(POSTGRES), []))).toBe(false);
  });

  it('refuses transaction pooling without a direct URL, naming the variable', () => {
    expect(() => loadConfig({ ...POSTGRES, DATABASE_POOL_MODE: 'transaction' })).toThrow(
      /DATABASE_DIRECT_URL: must be a postgres:\/\/ URL straight to the server/,
    );
    expect(() => loadConfig({ ...POSTGRES, DATABASE_POOL_MODE: 'statement' })).toThrow(
      /DATABASE_POOL_MODE/,
    );
    expect(() => loadConfig({ ...POSTGRES, DB_POOL_MAX: '0' })).toThrow(/DB_POOL_MAX/);
  });

  // The whole rule: a transaction pooler needs a direct URL for what needs a session.
  const urls = [undefined, POSTGRES.DATABASE_URL];
  const modes = [undefined, 'session', 'transaction'];
  const directs = [undefined, 'postgres://u@127.0.0.1:5432/db', 'mysql://u@h/db'];
  const table = urls.flatMap((url) =>
    modes.flatMap((mode) =>
      directs.map((direct) => ({
        url,
        mode,
        direct,
        refused:
          direct?.startsWith('mysql') === true ||
          (url !== undefined && mode === 'transaction' && direct === undefined),
      })),
    ),
  );
  it.each(table)(
    'DATABASE_URL=$url DATABASE_POOL_MODE=$mode DATABASE_DIRECT_URL=$direct: refused $refused',
    ({ url, mode, direct, refused }) => {
      const load = () =>
        loadConfig({
          SQLITE_PATH: ':memory:',
          DATABASE_URL: url,
          DATABASE_POOL_MODE: mode,
          DATABASE_DIRECT_URL: direct,
        });
      if (refused) expect(load).toThrow(/DATABASE_DIRECT_URL: must be a postgres:\/\/ URL/);
      else expect(load().sessionDatabaseUrl).toBe(direct ?? url);
    },
  );

  it('makes each SQLite commit wait for the disk in WAL mode (synchronous FULL, not the build default)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-sync-'));
    const dataSource = new DataSource(
      dataSourceOptions(loadConfig({ SQLITE_PATH: join(dir, 'db.sqlite') }), []),
    );
    try {
      await dataSource.initialize();
      await dataSource.query('CREATE TABLE t (x INTEGER)');
      await dataSource.transaction((em) => em.query('INSERT INTO t VALUES (1)'));
      expect(await dataSource.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await dataSource.query('PRAGMA synchronous')).toEqual([{ synchronous: 2 }]);
    } finally {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves SQLite options alone', () => {
    const app = dataSourceOptions(loadConfig({ SQLITE_PATH: ':memory:' }), []);
    expect(migrationDataSourceOptions(app)).toBe(app);
  });
});

import type { PoolConfig } from 'pg';
import { loadConfig } from '../config/app-config';
import { BoundedPgClient } from './bounded-pg-client';
import { dataSourceOptions, migrationDataSourceOptions } from './data-source-options';

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

  it('leaves SQLite options alone', () => {
    const app = dataSourceOptions(loadConfig({ SQLITE_PATH: ':memory:' }), []);
    expect(migrationDataSourceOptions(app)).toBe(app);
  });
});

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { startApp } from '../../../src/app.factory';
import type { AppConfig } from '../../../src/config/app-config';
import { loadConfig } from '../../../src/config/load-config';
import { SHARED_KEYS_ENV } from '../keys';
import { PATIENT_TIMEOUTS } from '../patience';
import { createScratchDatabase, withClient } from '../servers/postgres';
import { Driver, TEST_DATABASE_URL } from '../../setup/servers';
import { clonePostgresTemplate, copySqliteTemplate } from '../../setup/templates';

/** One isolated database: a temp SQLite file, or a PostgreSQL database of its own. */
export interface TestDatabase {
  /** What a start on it needs: the SQLite file, or the URL and the keys (SHARED_KEYS_ENV). */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /**
   * No schema: for the suites that test the migrations themselves. By default a database is a
   * copy of the migrated template that jest's global setup built (test/setup/templates.ts).
   */
  empty?: boolean;
}

export async function createTestDatabase(
  driver: Driver,
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  if (driver === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-test-'));
    const file = join(dir, 'test.sqlite');
    if (!options.empty) copySqliteTemplate(file);
    return {
      env: { SQLITE_PATH: file },
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const server = TEST_DATABASE_URL;
  if (options.empty) {
    const scratch = await createScratchDatabase(server, 'latchkey_test');
    return { env: { DATABASE_URL: scratch.url, ...SHARED_KEYS_ENV }, drop: scratch.drop };
  }
  const name = `latchkey_test_${randomBytes(6).toString('hex')}`;
  const url = await clonePostgresTemplate(server, name);
  return {
    env: { DATABASE_URL: url, ...SHARED_KEYS_ENV },
    drop: async () => {
      await withClient(server, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export interface TestApp {
  driver: Driver;
  app: NestFastifyApplication;
  http: () => TestAgent;
  dataSource: DataSource;
  /** The bootstrap platform admin's token. */
  platformToken: string;
  db: TestDatabase;
  /** Runs SQL written with `?` placeholders on either driver. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(options?: { keepDatabase?: boolean }): Promise<void>;
}

/** The tests' key for sealing webhook secrets: 32 bytes, in base64. */
export const TEST_WEBHOOK_SECRETS_KEY = SHARED_KEYS_ENV.WEBHOOK_SECRETS_KEY;

/**
 * PostgreSQL's bounds as the product ships them (3 s a statement, 4 s a query, 3 s a
 * connection): for the suites that test what a client sees when one is passed.
 */
export const DB_TIMEOUTS_AS_SHIPPED = {
  DB_STATEMENT_TIMEOUT_MS: '3000',
  DB_QUERY_TIMEOUT_MS: '4000',
  DB_CONNECT_TIMEOUT_MS: '3000',
} as const;

/** The config a test app boots with: quiet, with clocks that wait for the suite, on `db`. */
export function testAppConfig(db: TestDatabase, env: Record<string, string>): AppConfig {
  return loadConfig({
    LOG_LEVEL: 'silent',
    ...PATIENT_TIMEOUTS,
    // Checkpoints are signed when a suite asks (AuditCheckpointer.runTurn), not by the clock,
    // so an export's last line does not depend on how long a suite took.
    AUDIT_CHECKPOINT_EVERY_SECONDS: '86400',
    AUDIT_CHECKPOINT_FIRST_SECONDS: '86400',
    AUDIT_CHECKPOINT_EVERY_EVENTS: '1000000',
    // Expiry notices are sent when a suite asks (TokenExpiryNotices.runTurn), for the same reason.
    TOKEN_EXPIRY_NOTICE_EVERY_SECONDS: '86400',
    // Webhooks on both drivers with the same key, to receivers on 127.0.0.1.
    WEBHOOK_SECRETS_KEY: TEST_WEBHOOK_SECRETS_KEY,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
    ...db.env,
    ...env,
  });
}

/** The handle a suite holds on an app it started on `db`. */
export function testAppOf(
  driver: Driver,
  app: NestFastifyApplication,
  db: TestDatabase,
  bootstrapToken: string | null,
): TestApp & { bootstrapToken: string | null } {
  const server = app.getHttpServer();
  const dataSource = app.get(DataSource);
  return {
    driver,
    app,
    http: () => request(server),
    dataSource,
    sql: (text, params = []) => {
      let n = 0;
      const native = driver === 'postgres' ? text.replace(/\?/g, () => `$${++n}`) : text;
      return dataSource.query(native, params);
    },
    platformToken: bootstrapToken ?? '',
    bootstrapToken,
    db,
    close: async (options = {}) => {
      await app.close();
      if (!options.keepDatabase) await db.drop();
    },
  };
}

/** Boots the real app, through its real migrations, on a database of its own. */
export async function bootTestApp(
  driver: Driver,
  env: Record<string, string> = {},
  existing?: TestDatabase,
): Promise<TestApp & { bootstrapToken: string | null }> {
  const db = existing ?? (await createTestDatabase(driver));
  const { app, bootstrapToken } = await startApp(testAppConfig(db, env), { logs: false });
  return testAppOf(driver, app, db, bootstrapToken);
}

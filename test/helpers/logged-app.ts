import { PinoLogger } from 'nestjs-pino';
import { symbols } from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { startApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/load-config';
import type { Driver } from '../setup/servers';
import { createTestDatabase, TEST_WEBHOOK_SECRETS_KEY, TestApp } from './test-app';

/** A test app whose log lines are kept, for suites that assert what a log never holds. */
export interface LoggedApp extends TestApp {
  /** Every line written through the logger since the app started, request log included. */
  logs: string[];
}

/**
 * Boots the real app as `bootTestApp` does, but logging at info with the request log on (the
 * usual test app logs nothing), and keeps each line instead of writing it out: pino's stream,
 * which every child logger shares, is given a `write` of our own.
 */
export async function bootLoggedApp(
  driver: Driver,
  env: Record<string, string> = {},
): Promise<LoggedApp> {
  const db = await createTestDatabase(driver);
  const config = loadConfig({
    LOG_LEVEL: 'info',
    AUDIT_CHECKPOINT_EVERY_SECONDS: '86400',
    AUDIT_CHECKPOINT_FIRST_SECONDS: '86400',
    AUDIT_CHECKPOINT_EVERY_EVENTS: '1000000',
    TOKEN_EXPIRY_NOTICE_EVERY_SECONDS: '86400',
    WEBHOOK_SECRETS_KEY: TEST_WEBHOOK_SECRETS_KEY,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
    ...db.env,
    ...env,
  });
  const { app, bootstrapToken } = await startApp(config, { logs: true });
  const logs: string[] = [];
  const stream = (PinoLogger.root as unknown as Record<symbol, { write(s: string): boolean }>)[
    symbols.streamSym
  ];
  stream.write = (line: string) => logs.push(line) > 0;
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
    db,
    logs,
    close: async (options = {}) => {
      await app.close();
      if (!options.keepDatabase) await db.drop();
    },
  };
}

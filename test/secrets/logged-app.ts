import { PinoLogger } from 'nestjs-pino';
import { symbols } from 'pino';
import { startApp } from '../../src/app.factory';
import type { Driver } from '../setup/servers';
import { createTestDatabase, TestApp, testAppConfig, testAppOf } from '../harness/app/test-app';

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
  const config = testAppConfig(db, { LOG_LEVEL: 'info', ...env });
  const { app, bootstrapToken } = await startApp(config, { logs: true });
  const logs: string[] = [];
  const stream = (PinoLogger.root as unknown as Record<symbol, { write(s: string): boolean }>)[
    symbols.streamSym
  ];
  stream.write = (line: string) => logs.push(line) > 0;
  return { ...testAppOf(driver, app, db, bootstrapToken), logs };
}

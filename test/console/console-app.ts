import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../harness/app-process';
import { ConsoleBrowser, ConsoleUi, openConsole } from '../harness/browser/console-ui';
import { BusinessSetup, LatchkeyClient } from '../harness/latchkey-client';
import { VIEWPORT } from '../harness/browser/swagger-ui';
import { buildApp } from '../harness/app-cluster';
import { WebhookReceiver } from '../harness/app/webhook-receiver';

export const CONSOLE_TIMEOUT_MS = 180_000;

/** What a console suite drives: the built app as a process, a business, and Chromium on it. */
export interface ConsoleApp {
  app: AppProcess;
  browser: ConsoleBrowser;
  ui: ConsoleUi;
  client: LatchkeyClient;
  owner: BusinessSetup;
  receiver: WebhookReceiver;
  /** The app's SQLite file, for a test that sets a state no route makes (a token past expiry). */
  sqlitePath: string;
}

/**
 * The hooks every console suite shares: before all, the built app on a SQLite file of its own
 * (webhooks to 127.0.0.1 allowed, rate limits off), a business, and Chromium on the console;
 * before each test, signed out at the desktop width; after each, no Content Security Policy
 * violation heard. The object is filled in when the suite's first hook has run.
 */
export function useConsoleApp(name: string): ConsoleApp {
  const dir = mkdtempSync(join(tmpdir(), `latchkey-${name}-`));
  const receiver = new WebhookReceiver();
  const ctx = { receiver, sqlitePath: join(dir, 'console.sqlite') } as ConsoleApp;

  beforeAll(async () => {
    await buildApp();
    await receiver.start();
    ctx.app = await startAppProcess({
      name,
      env: {
        SQLITE_PATH: ctx.sqlitePath,
        LOG_LEVEL: 'warn',
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_POLL_MS: '100',
        ...RATE_LIMITS_OFF,
      },
    });
    ctx.client = new LatchkeyClient(ctx.app.url);
    ctx.owner = await ctx.client.createBusiness(ctx.app.platformToken!, name);
    ctx.browser = await openConsole(ctx.app.url);
    ctx.ui = ctx.browser.ui;
  }, CONSOLE_TIMEOUT_MS);

  afterAll(async () => {
    await ctx.browser?.close();
    await ctx.app?.stop();
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  }, CONSOLE_TIMEOUT_MS);

  // Each test starts signed out, whatever the one before left behind (a failure mid-test).
  beforeEach(async () => {
    await ctx.browser.page.setViewportSize(VIEWPORT);
    await ctx.ui.open();
    await ctx.ui.page.evaluate('sessionStorage.clear(); localStorage.clear()');
  });

  afterEach(() => {
    expect(ctx.browser.cspViolations.splice(0)).toEqual([]);
  });

  return ctx;
}

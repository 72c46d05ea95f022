import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../harness/app-process';
import { ConsoleBrowser, ConsoleUi, openConsole } from '../harness/browser/console-ui';
import { BusinessSetup, LatchkeyClient } from '../harness/latchkey-client';
import { VIEWPORT } from '../harness/browser/swagger-ui';
import { buildApp } from '../harness/app-cluster';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { keptByWorker } from '../harness/worker-kept';

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

interface KeptApp {
  app: AppProcess;
  sqlitePath: string;
  dir: string;
}

/** The console suites' app: the built app on a SQLite file of its own in `dir`. */
async function startConsoleApp(name: string, dir: string): Promise<KeptApp> {
  await buildApp();
  const sqlitePath = join(dir, 'console.sqlite');
  const app = await startAppProcess({
    name,
    env: {
      SQLITE_PATH: sqlitePath,
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_POLL_MS: '100',
      ...RATE_LIMITS_OFF,
    },
  });
  return { app, sqlitePath, dir };
}

/**
 * The hooks every console suite shares: before all, the built app (webhooks to 127.0.0.1
 * allowed, rate limits off), a business of the suite's own, and Chromium on the console; before
 * each test, signed out at the desktop width; after each, no Content Security Policy violation
 * heard. The object is filled in when the suite's first hook has run.
 *
 * The app is the worker's, started by its first console suite and kept for the later ones (a
 * start is 3 to 4 s of CPU), each of which works in a business of its own; `ownApp` gives a
 * suite one of its own, for what it sees across the platform.
 */
export function useConsoleApp(name: string, options: { ownApp?: boolean } = {}): ConsoleApp {
  const receiver = new WebhookReceiver();
  const ctx = { receiver } as ConsoleApp;
  let own: KeptApp | undefined;

  beforeAll(async () => {
    await receiver.start();
    // Named for what it serves: the worker's app serves every console suite the worker runs.
    const made = (appName: string) =>
      startConsoleApp(appName, mkdtempSync(join(tmpdir(), `latchkey-${appName}-`)));
    const kept = options.ownApp
      ? null
      : await keptByWorker(
          'console-app',
          () => made('console-app'),
          async ({ app, dir }) => {
            await app.stop();
            rmSync(dir, { recursive: true, force: true });
          },
          ({ app }) => app.child.running,
        );
    const started = kept ?? (own = await made(name));
    ctx.app = started.app;
    ctx.sqlitePath = started.sqlitePath;
    ctx.client = new LatchkeyClient(ctx.app.url);
    ctx.owner = await ctx.client.createBusiness(ctx.app.platformToken!, name);
    ctx.browser = await openConsole(ctx.app.url);
    ctx.ui = ctx.browser.ui;
  }, CONSOLE_TIMEOUT_MS);

  afterAll(async () => {
    await ctx.browser?.close();
    await own?.app.stop();
    if (own) rmSync(own.dir, { recursive: true, force: true });
    await receiver.stop();
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

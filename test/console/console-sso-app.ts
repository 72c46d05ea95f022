import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../harness/app-process';
import { buildApp } from '../harness/app-cluster';
import { ConsoleBrowser, ConsoleUi, openConsole } from '../harness/browser/console-ui';
import { VIEWPORT } from '../harness/browser/swagger-ui';
import { BusinessSetup, LatchkeyClient, scoped } from '../harness/latchkey-client';
import { freePort } from '../harness/ports';
import { MailSink } from '../invitations/mail-sink';
import { CLIENT_ID, CLIENT_SECRET, TestIdp } from '../sso/test-idp';
import { CONSOLE_TIMEOUT_MS } from './console-app';

/** A console suite's app, with an identity provider and a mail sink beside it. */
export interface ConsoleSsoApp {
  app: AppProcess;
  browser: ConsoleBrowser;
  ui: ConsoleUi;
  client: LatchkeyClient;
  owner: BusinessSetup;
  idp: TestIdp;
  sink: MailSink;
  /** A person the provider knows with these groups, who signs in next; answers their email. */
  person(groups: string[]): string;
  /** Makes the rule of `group` in `business` (its owner's token), giving `role`. */
  rule(business: BusinessSetup, group: string, role: string): Promise<void>;
}

/**
 * The hooks of a console suite that signs in through a real identity provider (oidc-provider)
 * and sends invitations (a mail sink): before all, the built app on a SQLite file of its own and
 * a business; before each test, signed out at the desktop width, with no session at the
 * provider (which would sign its last person in again); after each, no CSP violation heard.
 */
export function useConsoleSsoApp(name: string): ConsoleSsoApp {
  const dir = mkdtempSync(join(tmpdir(), `latchkey-${name}-`));
  let counter = 0;
  const ctx = {
    person(groups: string[]) {
      const sub = `person-${++counter}`;
      const email = `${sub}-${Date.now()}@console.test`;
      ctx.idp.accounts.set(sub, { email, email_verified: true, groups });
      ctx.idp.nextLogin = sub;
      return email;
    },
    async rule(business: BusinessSetup, group: string, role: string) {
      const res = await ctx.client.request('PUT', '/api/v1/sso/group-roles', {
        headers: scoped(business.ownerToken, business.businessId),
        body: { group, role },
      });
      expect(res.status).toBe(200);
    },
  } as ConsoleSsoApp;

  beforeAll(async () => {
    await buildApp();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    ctx.idp = await TestIdp.start(`${base}/auth/sso/callback`);
    ctx.sink = await MailSink.start();
    const secretFile = join(dir, 'oidc-secret');
    writeFileSync(secretFile, CLIENT_SECRET, { mode: 0o600 });
    ctx.app = await startAppProcess({
      name,
      port,
      env: {
        SQLITE_PATH: join(dir, 'console.sqlite'),
        LOG_LEVEL: 'warn',
        PUBLIC_BASE_URL: base,
        OIDC_ISSUER: ctx.idp.issuer,
        OIDC_CLIENT_ID: CLIENT_ID,
        OIDC_CLIENT_SECRET_FILE: secretFile,
        OIDC_SCOPES: 'openid email groups',
        SMTP_URL: ctx.sink.url,
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
    await ctx.idp?.stop();
    await ctx.sink?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, CONSOLE_TIMEOUT_MS);

  beforeEach(async () => {
    await ctx.browser.page.context().clearCookies();
    await ctx.browser.page.setViewportSize(VIEWPORT);
    await ctx.ui.open();
    await ctx.browser.page.evaluate('sessionStorage.clear(); localStorage.clear()');
  });

  afterEach(() => {
    expect(ctx.browser.cspViolations.splice(0)).toEqual([]);
  });

  return ctx;
}

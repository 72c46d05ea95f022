import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../../harness/app-process';
import { ConsoleBrowser, openConsole } from '../../harness/browser/console-ui';
import { hasChromium } from '../../harness/browser/swagger-ui';
import { BusinessSetup, LatchkeyClient, scoped } from '../../harness/latchkey-client';
import { buildApp } from '../../harness/app-cluster';
import { freePort } from '../../harness/ports';
import { MailSink } from '../../invitations/mail-sink';
import { CLIENT_ID, CLIENT_SECRET, TestIdp } from '../../sso/test-idp';
import { axeViolations } from '../console-walk';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS } from '../console-app';

if (hasChromium()) {
  /**
   * Console sign-in through a real identity provider (oidc-provider, started here), in headless
   * Chromium against the built app: the whole round trip by the browser's own redirects, the
   * session it makes, a sign-out that revokes it, and a refusal the person can read; and an
   * invitation's emailed link, opened in the console, accepted by the invitee alone.
   */
  describe('console sign-in with SSO, and invitations, in Chromium', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-console-sso-'));
    let idp: TestIdp;
    let sink: MailSink;
    let app: AppProcess;
    let browser: ConsoleBrowser;
    let client: LatchkeyClient;
    let owner: BusinessSetup;
    let counter = 0;

    beforeAll(async () => {
      await buildApp();
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      idp = await TestIdp.start(`${base}/auth/sso/callback`);
      sink = await MailSink.start();
      const secretFile = join(dir, 'oidc-secret');
      writeFileSync(secretFile, CLIENT_SECRET, { mode: 0o600 });
      app = await startAppProcess({
        name: 'console-sso',
        port,
        env: {
          SQLITE_PATH: join(dir, 'console.sqlite'),
          LOG_LEVEL: 'warn',
          PUBLIC_BASE_URL: base,
          OIDC_ISSUER: idp.issuer,
          OIDC_CLIENT_ID: CLIENT_ID,
          OIDC_CLIENT_SECRET_FILE: secretFile,
          OIDC_SCOPES: 'openid email groups',
          SMTP_URL: sink.url,
          ...RATE_LIMITS_OFF,
        },
      });
      client = new LatchkeyClient(app.url);
      owner = await client.createBusiness(app.platformToken!, 'console-sso');
      const rule = await client.request('PUT', '/api/v1/sso/group-roles', {
        headers: scoped(owner.ownerToken, owner.businessId),
        body: { group: 'eng', role: 'admin' },
      });
      expect(rule.status).toBe(200);
      browser = await openConsole(app.url);
    }, TIMEOUT_MS);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await idp?.stop();
      await sink?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, TIMEOUT_MS);

    // Each test starts signed out, whatever the one before left behind (a failure mid-test), and
    // with no session at the provider, which would sign its last person in again.
    beforeEach(async () => {
      await browser.page.context().clearCookies();
      await browser.ui.open();
      await browser.page.evaluate('sessionStorage.clear(); localStorage.clear()');
    });

    afterEach(() => {
      expect(browser.cspViolations.splice(0)).toEqual([]);
    });

    const person = (groups: string[]) => {
      const sub = `person-${++counter}`;
      const email = `${sub}-${Date.now()}@console.test`;
      idp.accounts.set(sub, { email, email_verified: true, groups });
      idp.nextLogin = sub;
      return email;
    };

    it(
      'signs a person in by the identity provider, at the role their group gives, and signing out revokes the session',
      async () => {
        const page = browser.page;
        const email = person(['eng']);
        await browser.ui.open('/admin/');
        await page.getByRole('button', { name: 'Sign in with SSO', exact: true }).click();
        await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
        expect(new URL(page.url()).pathname).toMatch(/^\/admin\/?$/);
        expect(new URL(page.url()).hash).toBe('');
        const token = await page.evaluate<string>("sessionStorage.getItem('latchkey.token')");
        const me = await client.request<{ data: object }>('GET', '/api/v1/me', {
          headers: scoped(token, owner.businessId),
        });
        expect(me.status).toBe(200);
        expect(me.body.data).toMatchObject({ identity: { email }, role: 'admin' });
        await browser.ui.signOut();
        // The revocation is sent as the console signs out: wait for it, boundedly.
        let status = 200;
        for (let i = 0; i < 50 && status !== 401; i++) {
          await new Promise((r) => setTimeout(r, 100));
          status = (await client.me(token, owner.businessId)).status;
        }
        expect(status).toBe(401);
      },
      TIMEOUT_MS,
    );

    it(
      'says why, in words and by code, when none of the groups has a role here',
      async () => {
        const page = browser.page;
        person(['sales']);
        await browser.ui.open('/admin/');
        await page.getByRole('button', { name: 'Sign in with SSO', exact: true }).click();
        const alert = page.getByRole('alert').filter({ hasText: 'Single sign-on was refused' });
        await alert.waitFor();
        expect(await alert.textContent()).toContain('SSO_NO_ROLE');
        expect(await alert.textContent()).toContain('none of your groups has a role');
        expect(await axeViolations(browser.ui)).toEqual([]);
        // A business id that is not one is refused before the browser leaves.
        await page.getByLabel(/Business id/).fill('acme');
        await page.getByRole('button', { name: 'Sign in with SSO', exact: true }).click();
        await page.getByText('A business id is a UUID').waitFor();
        expect(new URL(page.url()).origin).toBe(app.url);
      },
      TIMEOUT_MS,
    );

    it(
      "opens an invitation's link, accepts it once, shows the first token to the invitee alone, and signs in with it",
      async () => {
        const page = browser.page;
        const email = `invitee-${Date.now()}@console.test`;
        const invited = await client.request('POST', '/api/v1/invitations', {
          headers: scoped(owner.ownerToken, owner.businessId),
          body: { email, role: 'member' },
        });
        expect(invited.status).toBe(201);
        const { link } = await sink.lastLinkTo(email);
        expect(link.startsWith(`${app.url}/admin/#/invitation?token=`)).toBe(true);
        await page.goto(link);
        await page.getByRole('button', { name: 'Accept invitation', exact: true }).click();
        const secret = await page.getByLabel('Secret', { exact: true }).inputValue();
        expect(secret).toMatch(/^lk_/);
        expect(new URL(page.url()).hash).toBe('');
        expect(await axeViolations(browser.ui)).toEqual([]);
        await page.getByRole('button', { name: 'Sign in with it', exact: true }).click();
        await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
        const me = await client.request<{ data: object }>('GET', '/api/v1/me', {
          headers: scoped(secret, owner.businessId),
        });
        expect(me.body.data).toMatchObject({ identity: { email }, role: 'member' });
        await browser.ui.signOut();
        // The link worked once: opened again (a new page load), accepting it is refused.
        await page.goto('about:blank');
        await page.goto(link);
        await page.getByRole('button', { name: 'Accept invitation', exact: true }).click();
        await page.getByText('INVITATION_ALREADY_ACCEPTED').waitFor();
      },
      TIMEOUT_MS,
    );
  });
}

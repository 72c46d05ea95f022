import type { ConsoleBrowser, ConsoleUi } from '../../harness/browser/console-ui';
import { PHONE } from '../../harness/browser/console-ui';
import { BusinessSetup, LatchkeyClient, scoped } from '../../harness/latchkey-client';
import { hasChromium, VIEWPORT } from '../../harness/browser/swagger-ui';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS, useConsoleApp } from '../console-app';
import { walkViews } from '../console-walk';

interface Envelope<T> {
  data: T;
}
interface Summary {
  counted: 'business' | 'own';
  active: number;
  expiring_soon: number;
  disabled: number;
  risky: number;
  revoked_last_7_days: number;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/** The cards' labels, and the summary's count each shows. */
const CARDS: [string, keyof Summary][] = [
  ['Active', 'active'],
  ['Expiring in 7 days', 'expiring_soon'],
  ['Disabled', 'disabled'],
  ['Risky', 'risky'],
  ['Revoked in 7 days', 'revoked_last_7_days'],
];

if (hasChromium()) {
  /**
   * The console's home page per role, in headless Chromium against the built app: a platform
   * admin with no business open is offered the business picker first, in the first screen at
   * 1280 and 390 px; an owner sees the counts the API gives, the tokens expiring soon and the
   * audit log's newest events naming people by email; a member sees only their own counts and
   * tokens, and no audit log. Each view is walked at both widths (axe, Tab, nothing sideways),
   * and every test fails on a Content Security Policy violation.
   */
  describe('the home page of the admin console', () => {
    // An app of its own: the picker opens the first business of the platform, which must be this
    // suite's, and its walk reads the names of every business the platform holds. The business's
    // name has 30 characters, which the picker's select shows whole at 390 px.
    const consoleApp = useConsoleApp('console-home-business', { ownApp: true });
    let browser: ConsoleBrowser | undefined;
    let client: LatchkeyClient;
    let owner: BusinessSetup;
    let ui: ConsoleUi;
    let platformToken: string;
    beforeAll(() => {
      ({ browser, ui, client, owner } = consoleApp);
      platformToken = consoleApp.app.platformToken!;
    });

    const step = <T>(name: string, fn: () => Promise<T>) => ui.step(`home-${name}`, fn);
    const api = async <T>(token: string, method: string, path: string, body?: object) => {
      const res = await client.request<Envelope<T>>(method, path, {
        headers: scoped(token, owner.businessId),
        ...(body ? { body } : {}),
      });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status}`);
      return res.body.data;
    };
    const summaryOf = (token: string) => api<Summary>(token, 'GET', '/api/v1/tokens/summary');

    /** The home page, signed in already, once its counts are shown. */
    async function showHome(): Promise<void> {
      await ui.open('/admin/');
      await browser!.page.getByRole('heading', { level: 1, name: /^overview$/i }).waitFor();
      await ui.settled();
    }
    /** label → the count its card shows. */
    async function cards(): Promise<Record<string, number>> {
      const page = browser!.page;
      await page.locator('.stat').first().waitFor();
      const out: Record<string, number> = {};
      for (const stat of await page.locator('.stats .stat').all()) {
        const label = await stat.locator('.stat-label').innerText();
        out[label] = Number((await stat.locator('.stat-value').innerText()).replace(/,/g, ''));
      }
      return out;
    }
    const expected = (s: Summary) => Object.fromEntries(CARDS.map(([label, k]) => [label, s[k]]));
    /** Where `what` ends, in px from the top of the page. */
    const bottomOf = async (name: string) =>
      (await browser!.page.getByRole('button', { name, exact: true }).boundingBox())!.y +
      (await browser!.page.getByRole('button', { name, exact: true }).boundingBox())!.height;

    it(
      'a platform admin with no business open is offered the picker first, in the first screen, then the platform',
      async () => {
        const page = browser!.page;
        await step('platform-signin', () => ui.signIn(platformToken));
        for (const viewport of [VIEWPORT, PHONE]) {
          await page.setViewportSize(viewport);
          await showHome();
          const headings = await page.locator('main h2').allInnerTexts();
          expect(headings[0]).toBe('Act in a business');
          expect(headings).toContain('Platform');
          await page.getByRole('button', { name: 'Open', exact: true }).waitFor();
          expect(await bottomOf('Open')).toBeLessThanOrEqual(viewport.height);
        }
        await page.setViewportSize(VIEWPORT);
        const failures = await walkViews(ui, 'platform admin', [
          { name: 'the home page with no business open', show: showHome },
        ]);
        expect(failures).toEqual([]);

        // Opening a business from the picker lands on its tokens; home then shows its counts.
        await step('platform-open', async () => {
          await showHome();
          await page.getByRole('button', { name: 'Open', exact: true }).click();
          await page.getByRole('heading', { level: 1, name: /^tokens$/i }).waitFor();
          await showHome();
        });
        const counts = await cards();
        expect(counts).toEqual(expected(await summaryOf(owner.ownerToken)));
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      "an owner sees the API's counts as links, the tokens expiring soon, and recent activity by email",
      async () => {
        const page = browser!.page;
        const soon = await client.createToken(owner, 'expiring-home', {
          expires_in_days: 3,
          scopes: [],
        });
        const paused = await client.createToken(owner, 'paused-home', { scopes: [] });
        await api(owner.ownerToken, 'POST', `/api/v1/tokens/${paused.id}/disable`, {
          reason: 'held',
        });
        const gone = await client.createToken(owner, 'revoked-home', { scopes: [] });
        await client.revokeToken(owner, gone.id, 'done');
        const me = await api<{ identity: { label: string } }>(
          owner.ownerToken,
          'GET',
          '/api/v1/whoami',
        );

        // API traffic (not the console's own), so the day has a busiest token to chart.
        for (let i = 0; i < 3; i++) await client.me(soon.token, owner.businessId);
        const usage = () =>
          api<{ totals: { requests: number }; items: { token: { name: string } }[] }>(
            owner.ownerToken,
            'GET',
            '/api/v1/tokens/usage',
          );
        for (let wait = 0; (await usage()).totals.requests < 3 && wait < 40; wait++) {
          await new Promise((resolve) => setTimeout(resolve, 250));
        }

        await step('owner-home', async () => {
          await ui.signIn(owner.ownerToken);
          await showHome();
        });
        const summary = await summaryOf(owner.ownerToken);
        expect(summary.counted).toBe('business');
        expect(await cards()).toEqual(expected(summary));
        expect(summary.expiring_soon).toBeGreaterThanOrEqual(1);
        expect(summary.disabled).toBe(1);
        expect(summary.revoked_last_7_days).toBe(1);

        const risky = page.locator('.stats').getByRole('link', { name: /risky/i });
        await expect(risky.getAttribute('href')).resolves.toBe('/admin/tokens/risky');
        const expiring = page.locator('#expiring');
        await expiring.getByRole('link', { name: 'expiring-home', exact: true }).waitFor();
        await expect(
          expiring.getByRole('link', { name: 'expiring-home', exact: true }).getAttribute('href'),
        ).resolves.toBe(`/admin/tokens/${soon.id}`);
        await expect(expiring.innerText()).resolves.toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);

        // Verifications by outcome, as the Analytics screen charts them, one link away.
        const verifications = page.locator('section', {
          has: page.getByRole('heading', { name: 'Verifications by outcome, last 24 hours' }),
        });
        await verifications.locator('figure svg').waitFor();
        await expect(
          verifications.getByRole('link', { name: 'Analytics', exact: true }).getAttribute('href'),
        ).resolves.toBe('/admin/analytics');

        const busiest = (await usage()).items[0].token.name;
        const chart = page.locator('.home-chart');
        await chart.getByRole('link', { name: busiest, exact: true }).waitFor();
        await chart.locator('figure svg').waitFor();

        const activity = page.locator('section', {
          has: page.getByRole('heading', { name: 'Recent activity' }),
        });
        await activity.locator('li').first().waitFor();
        const text = await activity.innerText();
        expect(text).toContain(me.identity.label);
        expect(text).toContain('token.revoked');
        expect(text).not.toMatch(UUID);
        expect(await page.locator('main').innerText()).not.toMatch(UUID);

        const failures = await walkViews(ui, 'owner', [
          { name: 'the home page of a business', show: showHome },
        ]);
        expect(failures).toEqual([]);

        // A count moves once a token is revoked from elsewhere, when the page is shown again.
        await client.revokeToken(owner, soon.id, 'no longer needed');
        await showHome();
        expect(await cards()).toEqual(expected(await summaryOf(owner.ownerToken)));
        // The revoked count opens the token list filtered to what it counts.
        await page
          .locator('.stats')
          .getByRole('link', { name: /revoked/i })
          .click();
        await page.getByRole('heading', { name: /^tokens$/i }).waitFor();
        await expect(page.getByLabel('Status', { exact: true }).inputValue()).resolves.toBe(
          'revoked',
        );
        await page.getByRole('row').filter({ hasText: 'expiring-home' }).waitFor();
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'a member sees only their own counts and newest tokens, and no audit log is asked for',
      async () => {
        const page = browser!.page;
        const email = `member-${Date.now()}@home.test`;
        const added = await api<{ first_token: { token: string } }>(
          owner.ownerToken,
          'POST',
          '/api/v1/members',
          { email, role: 'member' },
        );
        const token = added.first_token.token;
        await client.createToken(owner, 'owners-not-members', { expires_in_days: 2, scopes: [] });
        const mine = await api<{ id: string }>(token, 'POST', '/api/v1/tokens', {
          name: 'members-own-home',
          expires_in_days: 2,
        });
        const audit: string[] = [];
        page.on('request', (r) => {
          if (r.url().includes('/audit-events')) audit.push(r.url());
        });

        await step('member-home', async () => {
          await ui.signIn(token);
          await showHome();
        });
        const summary = await summaryOf(token);
        // Their first token (which expires within 7 days) and the one they made.
        expect(summary).toMatchObject({ counted: 'own', active: 2, expiring_soon: 2, disabled: 0 });
        expect(await cards()).toEqual(expected(summary));
        await expect(page.getByRole('heading', { name: 'Your tokens' }).count()).resolves.toBe(1);
        await expect(page.getByRole('heading', { name: 'Recent activity' }).count()).resolves.toBe(
          0,
        );
        const own = page.locator('section', {
          has: page.getByRole('heading', { name: 'Your newest tokens' }),
        });
        await own.getByRole('link', { name: 'members-own-home', exact: true }).waitFor();
        const main = await page.locator('main').innerText();
        expect(main).not.toContain('owners-not-members');
        expect(main).toContain(email);

        const failures = await walkViews(ui, 'member', [
          { name: 'the home page of a member', show: showHome },
        ]);
        expect(failures).toEqual([]);
        expect(audit).toEqual([]);
        expect(mine.id).toMatch(UUID);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );
  });
}

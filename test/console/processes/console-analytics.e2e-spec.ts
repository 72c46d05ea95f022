import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../../harness/app-process';
import { ConsoleBrowser, ConsoleUi, openConsole } from '../../harness/browser/console-ui';
import { BusinessSetup, IssuedToken, LatchkeyClient, scoped } from '../../harness/latchkey-client';
import { hasChromium, VIEWPORT } from '../../harness/browser/swagger-ui';
import { buildApp } from '../../harness/app-cluster';
import { waitFor } from '../../harness/patience';
import { walkViews } from '../console-walk';

const TIMEOUT_MS = 240_000;
const GATEWAY_SECRET = 'gateway-secret-for-the-console-test';
const TAG = 'endpoint=/v1/things';

interface Envelope<T> {
  data: T;
}
interface Answer {
  buckets: { counts: { outcome?: string; token_id?: string | null; count: number }[] }[];
}

/**
 * How long, and how often, a count is polled for: the recorder writes every 5 s and roll-ups run
 * every 2 s here, and a busy machine can take several of each.
 */
const ROLLUP_PATIENCE_MS = 100_000;
const ROLLUP_POLL_MS = 500;

/** A chart's legend as `{label: count}`, read from its accessible list. */
async function legendOf(scope: Locator): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const items = scope.getByRole('list', { name: /legend$/ }).getByRole('listitem');
  for (const item of await items.all()) {
    const label = await item.locator('.legend-label').innerText();
    out[label] = Number((await item.locator('.legend-count').innerText()).replace(/,/g, ''));
  }
  return out;
}

if (hasChromium()) {
  /**
   * Verification analytics in the console, against real verifications of several outcomes: the
   * chart's legend and bars say what the API counted, the pickers change what is shown, the top
   * lists name tokens and people, a token's page charts its own, the platform sees unknown
   * tokens, a member sees their own and is refused the platform's; axe-clean and CSP-clean at
   * 1280 and 390 px.
   */
  describe('verification analytics in the admin console', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-console-analytics-'));
    let app: AppProcess;
    let browser: ConsoleBrowser;
    let ui: ConsoleUi;
    let client: LatchkeyClient;
    let owner: BusinessSetup;
    const tokens: Record<'valid' | 'revoked' | 'paused' | 'narrow', IssuedToken> = {} as never;
    let memberToken: string;
    /** A token the member made and used once: their own Analytics lists it. */
    let memberOwn: string;

    const asOwner = () => scoped(owner.ownerToken, owner.businessId);
    const call = async <T>(method: string, path: string, body?: object): Promise<T> => {
      const res = await client.request<Envelope<T>>(method, path, {
        headers: asOwner(),
        ...(body ? { body } : {}),
      });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status}`);
      return res.body.data;
    };
    /** One token's outcomes over the last `granularity` window, as the owner reads them. */
    const outcomesOf = async (tokenId: string, granularity: 'minute' | 'hour') => {
      const answer = await call<Answer>(
        'GET',
        `/api/v1/analytics/verifications?granularity=${granularity}&group_by=token,outcome`,
      );
      const out: Record<string, number> = {};
      for (const c of answer.buckets.flatMap((b) => b.counts)) {
        if (c.token_id === tokenId) out[c.outcome!] = (out[c.outcome!] ?? 0) + c.count;
      }
      return out;
    };

    /**
     * Valid (3 calls, and 2 gateway checks tagged), revoked (2), disabled (2), insufficient
     * scope (1), each on a token of its own, and 2 unknown tokens; then waits until the minute
     * counts hold them all.
     */
    async function seed(): Promise<void> {
      for (const name of ['valid', 'revoked', 'paused', 'narrow'] as const) {
        tokens[name] = await client.createToken(owner, `an-${name}`, {
          ...(name === 'narrow' ? { scopes: [] } : {}),
        });
      }
      const { valid, revoked, paused, narrow } = tokens;
      for (let i = 0; i < 3; i++) await client.me(valid.token, owner.businessId);
      for (let i = 0; i < 2; i++) {
        const res = await client.request('GET', '/auth/verify', {
          headers: {
            authorization: `Bearer ${valid.token}`,
            'x-latchkey-gateway-secret': GATEWAY_SECRET,
            'x-latchkey-tag': TAG,
          },
        });
        expect(res.status).toBe(204);
      }
      await call('POST', `/api/v1/tokens/${revoked.id}/revoke`, { reason: 'analytics test' });
      await call('POST', `/api/v1/tokens/${paused.id}/disable`, { reason: 'analytics test' });
      for (const t of [revoked, revoked, paused, paused]) {
        expect((await client.me(t.token, owner.businessId)).status).toBe(401);
      }
      const scoped403 = await client.request('GET', '/api/v1/audit-events', {
        headers: scoped(narrow.token, owner.businessId),
      });
      expect(scoped403.status).toBe(403);
      for (let i = 0; i < 2; i++) await client.me('lk_nosuchtoken', owner.businessId);
      const added = await call<{ first_token: { token: string } }>('POST', '/api/v1/members', {
        email: 'member@analytics.test',
        role: 'member',
      });
      memberToken = added.first_token.token;
      const own = await client.request<Envelope<{ id: string; token: string }>>(
        'POST',
        '/api/v1/tokens',
        { headers: scoped(memberToken, owner.businessId), body: { name: 'member-own' } },
      );
      expect(own.status).toBe(201);
      memberOwn = own.body.data.id;
      await client.me(own.body.data.token, owner.businessId);
      const expected: [IssuedToken, Record<string, number>][] = [
        [valid, { valid: 5 }],
        [revoked, { revoked: 2 }],
        [paused, { disabled: 2 }],
        [narrow, { insufficient_scope: 1 }],
        [{ id: memberOwn } as IssuedToken, { valid: 1 }],
      ];
      await waitFor(
        'the minute counts',
        async () => {
          for (const [t, want] of expected) {
            if (JSON.stringify(await outcomesOf(t.id, 'minute')) !== JSON.stringify(want)) {
              return false;
            }
          }
          return true;
        },
        ROLLUP_PATIENCE_MS,
        ROLLUP_POLL_MS,
      );
    }

    beforeAll(async () => {
      await buildApp();
      app = await startAppProcess({
        name: 'console-analytics',
        env: {
          SQLITE_PATH: join(dir, 'console.sqlite'),
          LOG_LEVEL: 'warn',
          VERIFY_GATEWAY_SECRET: GATEWAY_SECRET,
          // The hour's chart waits on a roll-up: every 2 s here, not every minute.
          ANALYTICS_ROLLUP_SECONDS: '2',
          ...RATE_LIMITS_OFF,
        },
      });
      client = new LatchkeyClient(app.url);
      owner = await client.createBusiness(app.platformToken!, 'analytics');
      browser = await openConsole(app.url);
      ui = browser.ui;
      await seed();
    }, TIMEOUT_MS);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, TIMEOUT_MS);

    beforeEach(async () => {
      await browser.page.setViewportSize(VIEWPORT);
      await ui.open();
      await ui.page.evaluate('sessionStorage.clear(); localStorage.clear()');
    });

    afterEach(() => {
      expect(browser.cspViolations.splice(0)).toEqual([]);
    });

    const chart = () =>
      ui.page.locator('section', {
        has: ui.page.getByRole('heading', { level: 2, name: /^Verifications by/ }),
      });
    const bars = () => chart().locator('svg[role=group] > g[role=img]');
    /** Picks a segment (a window or a split) by its visible label. */
    const pick = (label: string) => ui.page.locator('label.segment', { hasText: label }).click();
    /**
     * Picks the 1-hour window and waits until the chart draws it, a bar a minute: until then the
     * legend may still be the last window's, which can hold the same counts.
     */
    async function pickHour() {
      await pick('1 hour');
      await waitFor('minute bars', async () => [60, 61].includes(await bars().count()));
    }
    /** Waits until the chart's legend satisfies `ok`, and answers it. */
    async function legendWhen(ok: (l: Record<string, number>) => boolean, scope = chart()) {
      let last: Record<string, number> = {};
      await waitFor(
        () => `the legend; it shows ${JSON.stringify(last)}`,
        async () => ok((last = await legendOf(scope))),
      );
      return last;
    }
    const topRow = (table: string, name: string) =>
      ui.page.getByRole('region', { name: table }).getByRole('row').filter({ hasText: name });

    it(
      "an owner's Analytics: each outcome's count in the legend and the bars, split by tag, over another window, and the top tokens and identities by name",
      async () => {
        const page = ui.page;
        await ui.signIn(owner.ownerToken);
        await ui.step('analytics-outcomes', async () => {
          await ui.go('Analytics', /^analytics$/i);
          await pickHour();
          const legend = await legendWhen((l) => l.Revoked === 2);
          expect(legend).toEqual(
            expect.objectContaining({ Revoked: 2, Disabled: 2, 'Insufficient scope': 1 }),
          );
          // The API's calls alone: the console's own are counted apart (console-counts checks them).
          expect(legend.Valid).toBeGreaterThanOrEqual(5);
          // Unknown tokens belong to no business: only the platform sees them.
          expect(legend['Unknown token']).toBeUndefined();
          expect([60, 61]).toContain(await bars().count());
          const named = chart().locator('g[role=img][aria-label*="2 revoked"]');
          await expect(named.count()).resolves.toBeGreaterThan(0);
          await expect(
            chart().locator('svg[role=group]').getAttribute('aria-label'),
          ).resolves.toMatch(/^Verifications per minute by outcome, \d+ in all$/);
        });
        await ui.step('analytics-by-tag', async () => {
          await pick('By tag');
          const legend = await legendWhen((l) => TAG in l);
          expect(legend[TAG]).toBe(2);
          expect(legend.Revoked).toBeUndefined();
          expect(legend['(no tag)']).toBeGreaterThanOrEqual(8);
          await pick('By outcome');
          await legendWhen((l) => l.Revoked === 2);
        });
        await ui.step('analytics-window', async () => {
          await pick('24 hours');
          await page.getByRole('heading', { name: /last 24 hours: api calls$/i }).waitFor();
          await waitFor('hour bars', async () => [24, 25].includes(await bars().count()));
          await expect(
            chart().locator('svg[role=group]').getAttribute('aria-label'),
          ).resolves.toMatch(/^Verifications per hour by outcome/);
          await pickHour();
        });
        await ui.step('analytics-top', async () => {
          const row = topRow('Top tokens', 'an-valid');
          await row.waitFor();
          await expect(row.getByRole('cell').allInnerTexts()).resolves.toEqual(
            expect.arrayContaining(['you', '5']),
          );
          await expect(topRow('Top tokens', 'an-revoked').innerText()).resolves.toContain(
            '2 revoked',
          );
          await expect(topRow('Top tokens', 'an-narrow').innerText()).resolves.toContain(
            '1 insufficient scope',
          );
          await expect(
            row.getByRole('link', { name: 'an-valid' }).getAttribute('href'),
          ).resolves.toBe(`/admin/tokens/${tokens.valid.id}`);
          await expect(topRow('Top identities', 'you').count()).resolves.toBe(1);
          await expect(ui.uuidsInLists()).resolves.toEqual([]);
        });
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'the Export buttons download the window through the API, as CSV and as NDJSON',
      async () => {
        const page = ui.page;
        await ui.signIn(owner.ownerToken);
        await ui.go('Analytics', /^analytics$/i);
        await pick('1 hour');
        const saved = async (format: string) => {
          const [download] = await Promise.all([
            page.waitForEvent('download'),
            ui.button(`Export ${format}`).click(),
          ]);
          expect(download.suggestedFilename()).toMatch(
            new RegExp(`^verifications-business-api-1h-.*\\.${format.toLowerCase()}$`),
          );
          return readFileSync(await download.path(), 'utf8');
        };
        const csv = (await saved('CSV')).split('\r\n');
        expect(csv[0]).toBe('start,outcome,tag,token_id,token_name,identity_id,count');
        // Each token named beside its id, so the file reads without the token list.
        expect(csv).toEqual(
          expect.arrayContaining([
            expect.stringContaining(`,revoked,,${tokens.revoked.id},an-revoked,`),
          ]),
        );
        const lines = (await saved('NDJSON'))
          .trim()
          .split('\n')
          .map(
            (l) =>
              JSON.parse(l) as { outcome: string; tag: string; token_id: string; count: number },
          );
        const tagged = lines.filter((l) => l.token_id === tokens.valid.id && l.tag === TAG);
        expect(tagged.reduce((n, l) => n + l.count, 0)).toBe(2);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      "a token's page charts its own verifications by outcome over 24 hours, once the hour is rolled up",
      async () => {
        await waitFor(
          'the hour roll-up',
          async () => {
            const o = await outcomesOf(tokens.revoked.id, 'hour');
            return o.revoked === 2;
          },
          ROLLUP_PATIENCE_MS,
          ROLLUP_POLL_MS,
        );
        await ui.signIn(owner.ownerToken);
        await ui.open(`/admin/tokens/${tokens.revoked.id}`);
        const own = ui.page.locator('section', {
          has: ui.page.getByRole('heading', { name: 'Verifications by outcome, last 24 hours' }),
        });
        await expect(legendWhen((l) => l.Revoked === 2, own)).resolves.toEqual({ Revoked: 2 });
        expect([24, 25]).toContain(await own.locator('svg[role=group] > g[role=img]').count());
        // The requests chart is still there, beside it.
        await ui.page.getByRole('heading', { name: 'Requests per hour, last 24 hours' }).waitFor();
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      "a member's Analytics holds their own tokens alone; Platform analytics is no item of theirs, and its address shows the API's refusal",
      async () => {
        const page = ui.page;
        await ui.signIn(memberToken);
        await expect(ui.nav('Platform analytics').count()).resolves.toBe(0);
        await ui.go('Analytics', /^analytics$/i);
        await pick('1 hour');
        await topRow('Top identities', 'you').waitFor();
        await topRow('Top tokens', 'member-own').waitFor();
        const legend = await legendOf(chart());
        expect(Object.keys(legend)).toEqual(['Valid']);
        await expect(topRow('Top tokens', 'an-').count()).resolves.toBe(0);
        await expect(page.getByText('an-valid').count()).resolves.toBe(0);
        await ui.open('/admin/platform/analytics');
        await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
        await page.getByText('PLATFORM_ADMIN_REQUIRED').first().waitFor();
        await expect(page.locator('svg[role=group]').count()).resolves.toBe(0);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'the platform view counts every business, unknown tokens included, with the tokens named',
      async () => {
        await ui.signIn(app.platformToken!);
        await ui.go('Platform analytics', /^platform analytics$/i);
        await pick('1 hour');
        const legend = await legendWhen((l) => l['Unknown token'] === 2);
        expect(legend).toEqual(expect.objectContaining({ Revoked: 2, Disabled: 2 }));
        await expect(topRow('Top tokens', 'Unknown tokens').innerText()).resolves.toContain(
          '2 unknown token',
        );
        const row = topRow('Top tokens', 'an-valid');
        await row.waitFor();
        await expect(row.innerText()).resolves.toMatch(/analytics-[0-9a-f]{8}/);
        await expect(ui.uuidsInLists()).resolves.toEqual([]);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'Analytics, a token page and Platform analytics: axe-clean, nothing cut or scrolling sideways, every control reached by Tab, at 1280 and 390 px',
      async () => {
        const screen = async (path: string, heading: RegExp) => {
          await ui.open(path);
          await ui.page.getByRole('heading', { level: 1, name: heading }).waitFor();
          await ui.settled();
        };
        await ui.signIn(owner.ownerToken);
        const owners = await walkViews(ui, 'owner', [
          { name: 'analytics', show: () => screen('/admin/analytics', /^analytics$/i) },
          {
            name: 'analytics by tag, its table open',
            show: async () => {
              await screen('/admin/analytics', /^analytics$/i);
              await pick('1 hour');
              await pick('By tag');
              await chart().locator('summary').click();
            },
          },
          {
            name: 'a token page',
            show: () => screen(`/admin/tokens/${tokens.valid.id}`, /an-valid/),
          },
        ]);
        await ui.signOut();
        await ui.page.setViewportSize(VIEWPORT);
        await ui.signIn(app.platformToken!);
        const platform = await walkViews(ui, 'platform admin', [
          {
            name: 'platform analytics',
            show: () => screen('/admin/platform/analytics', /^platform analytics$/i),
          },
        ]);
        expect([...owners, ...platform]).toEqual([]);
      },
      TIMEOUT_MS,
    );
  });
} else {
  describe('verification analytics in the admin console', () => {
    it.todo('runs when /usr/bin/chromium is installed (bash .ci/run installs it)');
  });
}

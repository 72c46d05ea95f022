import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../../harness/app-process';
import { ConsoleBrowser, ConsoleUi, openConsole, PHONE } from '../../harness/browser/console-ui';
import { BusinessSetup, IssuedToken, LatchkeyClient, scoped } from '../../harness/latchkey-client';
import { hasChromium, VIEWPORT } from '../../harness/browser/swagger-ui';
import { buildApp } from '../../harness/app-cluster';
import { ConsoleScreens, View, Who } from '../console-views';
import { axeViolations, walkViews } from '../console-walk';
import { brokenTokens, clippedCells, clippedControls } from '../console-layout';
import { WebhookReceiver } from '../../harness/app/webhook-receiver';
import { sample } from '../../harness/sampling';
import { waitFor } from '../../harness/patience';

const TIMEOUT_MS = 180_000;
/**
 * How long the first role's test waits for every walk: a guard against a hang, not a measure of
 * speed. Beside the other lanes on a machine half as fast as usual the walks took 380 s, past the
 * 360 s this was (docs/testing.md).
 */
const WALKS_TIMEOUT_MS = 900_000;
/** How many walks run at once, each driving a Chromium of its own. */
const WALKS_AT_ONCE = 3;

interface Envelope<T> {
  data: T;
}

/** Runs `jobs` with at most `n` at once, and answers their results in order. */
async function atMost<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < jobs.length; i = next++) results[i] = await jobs[i]();
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, lane));
  return results;
}

/** The Analytics screens of a role (console-analytics.e2e-spec.ts checks what they show). */
function analyticsViews(screens: ConsoleScreens, who: Who): View[] {
  if (who === 'owner' || who === 'member') {
    return [{ name: 'analytics', show: () => screens.screen('/admin/analytics', /^analytics$/i) }];
  }
  if (who === 'platform admin') {
    const heading = /^platform analytics$/i;
    return [
      {
        name: 'platform analytics',
        show: () => screens.screen('/admin/platform/analytics', heading),
      },
    ];
  }
  return [];
}

if (hasChromium()) {
  /**
   * On every screen and dialog of the console, for every role, at 1280 and
   * 390 px, axe finds no serious or critical violation, nothing scrolls sideways at 390 px, and a
   * walk of the tab order with Tab reaches every visible control. Any CSP violation fails too.
   */
  describe('every screen of the admin console', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-console-screens-'));
    const receiver = new WebhookReceiver();
    let app: AppProcess | undefined;
    let browser: ConsoleBrowser | undefined;
    let client: LatchkeyClient;
    let owner: BusinessSetup;
    let ui: ConsoleUi;
    let screens: ConsoleScreens;
    let walks: Record<Who, Promise<string[]>>;
    /** A token of the owner's with traffic: its page has a usage chart and addresses. */
    let busy: IssuedToken;
    let memberToken: string;
    let webhookId: string;
    let machineId: string;

    const asOwner = () => scoped(owner.ownerToken, owner.businessId);

    async function call<T>(method: string, path: string, body?: object): Promise<T> {
      const res = await client.request<Envelope<T>>(method, path, {
        headers: asOwner(),
        ...(body ? { body } : {}),
      });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status}`);
      return res.body.data;
    }

    /** A machine, a member, a webhook with a delivery, and a token with traffic. */
    async function seed(): Promise<void> {
      busy = await client.createToken(owner, 'busy-token');
      for (let i = 0; i < 3; i++) await client.me(busy.token, owner.businessId);
      const machine = await call<{ id: string }>('POST', '/api/v1/machine-identities', {
        name: 'ci-runner',
        role: 'member',
      });
      machineId = machine.id;
      await call('POST', `/api/v1/machine-identities/${machineId}/trust-rules`, {
        issuer: 'https://token.actions.githubusercontent.com',
        jwks_uri: 'https://token.actions.githubusercontent.com/.well-known/jwks',
        audience: 'https://github.com/acme',
        subject: 'repo:acme/api:ref:refs/heads/*',
        claims: { repository_owner: 'acme' },
        scopes: ['deploy:write'],
      });
      const added = await call<{ first_token: { token: string } }>('POST', '/api/v1/members', {
        email: 'member@screens.test',
        role: 'member',
      });
      memberToken = added.first_token.token;
      const hook = await call<{ id: string }>('POST', '/api/v1/webhooks', {
        url: receiver.url,
        event_types: ['token.revoked'],
        description: 'Revocations to the security channel',
      });
      webhookId = hook.id;
      await call('POST', `/api/v1/webhooks/${webhookId}/test`);
      await seedLongNames();
      // Usage is written in batches every few seconds; deliveries go out on the next poll.
      await waitFor('the busy token’s usage', async () => {
        const usage = await call<{ recent_ips: unknown[] }>(
          'GET',
          `/api/v1/tokens/${busy.id}/usage`,
        );
        return usage.recent_ips.length > 0;
      });
      await waitFor('the test delivery', async () => {
        const page = await call<{ items: { event_type: string }[] }>(
          'GET',
          `/api/v1/webhooks/${webhookId}/deliveries`,
        );
        return page.items.some((a) => a.event_type === 'webhook.test');
      });
    }

    /**
     * What a table must fit at 1280 px without cutting: a federated token's long name, a long
     * email and machine name. A token policy the first tokens break (Policy violations, with an
     * ISO time in each message) is set last, which writes token_policy.updated to the audit log.
     */
    async function seedLongNames(): Promise<void> {
      await client.createToken(
        owner,
        'federation repo:acme-corporation/payments-service-api:ref:refs/heads/release/2026-11-hotfix',
        { scopes: ['tokens:admin', 'audit:read', 'members:read', 'deploy:write'] },
      );
      await call('POST', '/api/v1/members', {
        email: 'a.very.long.email.address.for.testing@subsidiary.example-corporation.test',
        role: 'member',
      });
      await call('POST', '/api/v1/machine-identities', {
        name: 'ci-runner-for-the-payments-service-release-pipeline',
        role: 'member',
      });
      await call('PUT', '/api/v1/token-policy', { max_lifetime_days: 6 });
    }

    beforeAll(async () => {
      await buildApp();
      await receiver.start();
      app = await startAppProcess({
        name: 'console-screens',
        env: {
          SQLITE_PATH: join(dir, 'console.sqlite'),
          LOG_LEVEL: 'warn',
          WEBHOOK_ALLOW_HTTP: 'true',
          WEBHOOK_ALLOW_PRIVATE: 'true',
          WEBHOOK_POLL_MS: '100',
          ...RATE_LIMITS_OFF,
        },
      });
      client = new LatchkeyClient(app.url);
      owner = await client.createBusiness(app.platformToken!, 'screens');
      browser = await openConsole(app.url);
      ui = browser.ui;
      await seed();
      screens = new ConsoleScreens(ui, { client, owner, busy, machineId, webhookId });
      walks = startWalks();
    }, TIMEOUT_MS);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }, TIMEOUT_MS);

    // Each test starts signed out, whatever the one before left behind.
    beforeEach(async () => {
      await browser!.page.setViewportSize(VIEWPORT);
      await ui.open();
      await ui.page.evaluate('sessionStorage.clear(); localStorage.clear()');
    });

    afterEach(() => {
      expect(browser!.cspViolations.splice(0)).toEqual([]);
    });

    /**
     * One role's walk, or part of one, in a Chromium of its own: its failures, and any CSP
     * violation it heard. An error that ends the walk early is a failure too.
     */
    async function walk(
      who: Who,
      part: (views: View[]) => View[],
      counted = true,
    ): Promise<string[]> {
      const opened = await openConsole(app!.url);
      try {
        const own = new ConsoleScreens(opened.ui, { client, owner, busy, machineId, webhookId });
        const token = {
          'signed out': null,
          owner: owner.ownerToken,
          member: memberToken,
          'platform admin': app!.platformToken!,
        }[who];
        if (token) await opened.ui.signIn(token);
        // Every view in `npm run test:full`; a seeded third of each role's in `npm test`.
        const all = [...own.views(who), ...analyticsViews(own, who)];
        // A view is a check within one test per role, not a test of its own.
        const views = sample(`${who}'s views`, all, Math.ceil(all.length / 3), {
          counted,
          testsPerRow: 0,
          unit: 'views',
        });
        const failures = await walkViews(opened.ui, who, part(views));
        return [...failures, ...opened.cspViolations.map((v) => `${who}: ${v}`)];
      } catch (e) {
        return [`${who}: the walk ended early: ${(e as Error).message.split('\n')[0]}`];
      } finally {
        await opened.close();
      }
    }

    /**
     * Every role's walk, started together once the business is seeded, at most WALKS_AT_ONCE at
     * a time: each view is shown and checked in turn, so one page walking them all took two
     * minutes. The owner's, three times longer than any other, goes in two halves.
     */
    function startWalks(): Record<Who, Promise<string[]>> {
      const all = (views: View[]) => views;
      const half = (first: boolean) => (views: View[]) => {
        const cut = Math.ceil(views.length / 2);
        return first ? views.slice(0, cut) : views.slice(cut);
      };
      const done = atMost(WALKS_AT_ONCE, [
        () => walk('owner', half(true)),
        () => walk('owner', half(false), false),
        () => walk('platform admin', all),
        () => walk('member', all),
        () => walk('signed out', all),
      ]);
      return {
        owner: done.then(([first, second]) => [...first, ...second]),
        'platform admin': done.then((r) => r[2]),
        member: done.then((r) => r[3]),
        'signed out': done.then((r) => r[4]),
      };
    }

    it.each<Who>(['signed out', 'owner', 'member', 'platform admin'])(
      'as %s: no serious or critical axe violation; on a list no table wider than its frame, no cell cut, no token broken over lines; at 1280 px every action wholly shown, names not uuids, every control reached by Tab; at 390 px no sideways scroll, no control cut and the list in the first screen',
      async (who) => {
        expect(await walks[who]).toEqual([]);
      },
      WALKS_TIMEOUT_MS,
    );

    it('finds what Tab cannot reach: a control out of the tab order, a clickable span', async () => {
      await screens.screen('/admin/', /^sign in/i);
      // Built through the DOM and CSSOM, which the console's CSP allows (it refuses style="…").
      await ui.page.evaluate(`(() => {
        const main = document.querySelector('main');
        const button = Object.assign(document.createElement('button'), { textContent: 'Skipped' });
        button.tabIndex = -1;
        const span = Object.assign(document.createElement('span'), { textContent: 'Clickable' });
        span.style.cursor = 'pointer';
        main.append(button, span);
      })()`);
      const missed = await ui.unreachableByTab();
      expect(missed).toEqual([
        expect.stringContaining('Skipped'),
        expect.stringContaining('Clickable'),
      ]);
    });

    it('finds what axe finds: a button without a name, an image without a text', async () => {
      await screens.screen('/admin/', /^sign in/i);
      await expect(axeViolations(ui)).resolves.toEqual([]);
      await ui.page.evaluate(`(() => {
        const main = document.querySelector('main');
        const button = document.createElement('button');
        button.append(document.createElement('span'));
        const image = Object.assign(document.createElement('img'), { src: '/admin/missing.png' });
        main.append(button, image);
      })()`);
      await expect(axeViolations(ui)).resolves.toEqual([
        expect.stringMatching(/^axe button-name: /),
        expect.stringMatching(/^axe image-alt: /),
      ]);
    });

    it('finds an action cut off, a uuid in a list, and a list below the first screen', async () => {
      await screens.screen('/admin/', /^sign in/i);
      await ui.page.evaluate(`(() => {
        const main = document.querySelector('main');
        const spacer = document.createElement('div');
        spacer.style.height = '2000px';
        const frame = document.createElement('div');
        frame.style.width = '100px';
        frame.style.overflowX = 'auto';
        const table = document.createElement('table');
        table.innerHTML = '<tbody><tr><td>3f2b8c1e-9d4a-4e6b-8c2d-1a2b3c4d5e6f</td>' +
          '<td class="col-actions"><button>Revoke</button></td></tr></tbody>';
        table.style.width = '600px';
        frame.append(table);
        main.append(spacer, frame);
      })()`);
      await expect(ui.clippedActions()).resolves.toEqual([
        expect.stringMatching(/^Revoke: cut by div/),
      ]);
      await expect(ui.uuidsInLists()).resolves.toEqual(['3f2b8c1e-9d4a-4e6b-8c2d-1a2b3c4d5e6f']);
      await expect(ui.listTop()).resolves.toBeGreaterThan(2000);
    });

    it('finds a table wider than its frame, a cell cut or spilling, and a token broken', async () => {
      await screens.screen('/admin/', /^sign in/i);
      // A frame narrower than its table; then, in a table that fits its frame, a cell cut with no
      // title (and one with a title), a cell a long token spills out of, and an action name
      // allowed to break anywhere.
      await ui.page.evaluate(`(() => {
        const main = document.querySelector('main');
        const frame = (width) => {
          const div = document.createElement('div');
          div.style.width = width;
          div.style.overflowX = 'auto';
          main.append(div);
          return div;
        };
        const wide = document.createElement('table');
        wide.innerHTML = '<thead><tr><th>Name</th><th>Created</th></tr></thead>';
        wide.style.width = '600px';
        wide.style.tableLayout = 'fixed';
        frame('300px').append(wide);
        const table = document.createElement('table');
        table.innerHTML = '<tbody><tr><td><span class="cut">a-name-much-too-long-for-its-cell</span></td>' +
          '<td><span class="cut" title="whole">another-name-much-too-long</span></td></tr>' +
          '<tr><td><span class="spill">federation:repo:acme/payments:ref:refs/heads/main</span></td>' +
          '<td><span data-token="">token_policy.updated</span></td></tr></tbody>';
        table.style.width = '300px';
        table.style.tableLayout = 'fixed';
        for (const el of table.querySelectorAll('.cut')) {
          Object.assign(el.style, { display: 'block', overflow: 'hidden', whiteSpace: 'nowrap' });
        }
        table.querySelector('.spill').style.whiteSpace = 'nowrap';
        table.querySelector('[data-token]').style.wordBreak = 'break-all';
        frame('400px').append(table);
      })()`);
      const cells = await clippedCells(ui.page);
      expect(cells).toEqual(
        expect.arrayContaining([
          'table: the table is 600 px in a frame of 300 px',
          'table: "Created" is cut by the frame',
          'table: "a-name-much-too-long-for-its-cell" is cut, with no title to show it whole',
          'table: "federation:repo:acme/payments:ref:refs/heads/main" spills out of its cell',
        ]),
      );
      expect(cells.join('\n')).not.toContain('another-name');
      await expect(brokenTokens(ui.page)).resolves.toEqual([
        expect.stringMatching(/^span: "token_policy.updated" is broken over \d lines$/),
      ]);
    });

    it('finds at 390 px a control cut by a strip, a select too narrow, segments wrapped', async () => {
      await screens.screen('/admin/', /^sign in/i);
      await ui.page.setViewportSize(PHONE);
      await ui.page.evaluate(`(() => {
        const main = document.querySelector('main');
        const strip = document.createElement('nav');
        Object.assign(strip.style, { width: '120px', overflowX: 'auto', whiteSpace: 'nowrap' });
        strip.innerHTML = '<a href="#a">Overview</a> <a href="#b">Tokens</a> <a href="#c">Machines</a>';
        const select = document.createElement('select');
        select.innerHTML = '<option>Newest first</option>';
        select.style.width = '60px';
        const group = document.createElement('fieldset');
        group.className = 'segmented';
        group.style.width = '150px';
        group.style.flexWrap = 'wrap';
        group.innerHTML = '<label class="segment">Last 24 hours</label>' +
          '<label class="segment">Last 7 days</label><label class="segment">Last 30 days</label>';
        main.append(strip, select, group);
      })()`);
      await expect(clippedControls(ui.page)).resolves.toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^"Machines" is cut by nav/),
          '"Newest first" is cut in its select',
          expect.stringMatching(/its segments wrap onto [23] rows$/),
        ]),
      );
    });

    it(
      'signs in, creates a token, copies it and revokes it from the keyboard alone (Tab, then Enter)',
      async () => {
        const page = ui.page;
        await ui.open();
        await ui.tabTo(page.getByLabel('Token', { exact: true }));
        await page.keyboard.type(owner.ownerToken);
        await ui.tabTo(ui.button('Sign in'));
        await page.keyboard.press('Enter');
        await ui.button('Sign out').waitFor();

        await ui.tabTo(ui.nav('Tokens'));
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { level: 1, name: /^tokens$/i }).waitFor();
        // New token opens its dialog on its first field, Name.
        await ui.tabTo(ui.button('New token'));
        await page.keyboard.press('Enter');
        await expect(ui.isFocused(page.getByLabel('Name', { exact: true }))).resolves.toBe(true);
        await page.keyboard.type('keyboard-only');
        await page.keyboard.press('Enter');
        await page.getByLabel('Secret', { exact: true }).waitFor();
        await ui.tabTo(ui.button('Copy'));
        await page.keyboard.press('Enter');
        await page.getByRole('status').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
        const secret = await page.evaluate<string>('navigator.clipboard.readText()');
        expect((await client.me(secret, owner.businessId)).status).toBe(200);
        await ui.tabTo(ui.button('Done'));
        await page.keyboard.press('Enter');
        await page.getByRole('dialog').waitFor({ state: 'detached' });

        const row = page.getByRole('row').filter({ hasText: 'keyboard-only' });
        await ui.tabTo(row.getByRole('button', { name: 'Revoke', exact: true }), 150);
        await page.keyboard.press('Enter');
        await page.getByRole('dialog').waitFor();
        // The dialog opens on its field, so the reason is typed straight away.
        const reason = page.getByRole('dialog').getByLabel('Reason', { exact: true });
        await expect(ui.isFocused(reason)).resolves.toBe(true);
        await page.keyboard.type('typed without a mouse');
        await page.keyboard.press('Enter');
        await row
          .getByText(/revoked/i)
          .first()
          .waitFor();
        // The row's Revoke button is gone; focus went to the page rather than to <body>.
        await expect(
          page.evaluate<string | null>('document.activeElement && document.activeElement.id'),
        ).resolves.toBe('main');

        const list = await client.request<
          Envelope<{ items: { name: string; revocation_reason: string | null }[] }>
        >('GET', '/api/v1/tokens?name=keyboard-only', { headers: asOwner() });
        expect(list.body.data.items).toEqual([
          expect.objectContaining({
            name: 'keyboard-only',
            revocation_reason: 'typed without a mouse',
          }),
        ]);
        expect((await client.me(secret, owner.businessId)).status).toBe(401);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );
  });
} else {
  // Built conditionally rather than skipped, so the summary shows a todo that says why.
  describe('every screen of the admin console', () => {
    it.todo('runs when /usr/bin/chromium is installed (bash .ci/run installs it)');
  });
}

import Database from 'better-sqlite3';
import type { AppProcess } from '../../harness/app-process';
import type { ConsoleBrowser, ConsoleUi } from '../../harness/browser/console-ui';
import { BusinessSetup, LatchkeyClient, scoped } from '../../harness/latchkey-client';
import { hasChromium } from '../../harness/browser/swagger-ui';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS, useConsoleApp } from '../console-app';
import type { WebhookReceiver } from '../../harness/app/webhook-receiver';
import { lastReading, PATIENCE_MS, waitFor } from '../../harness/patience';
import { dbTime } from '../../harness/app/assertions';

interface Envelope<T> {
  data: T;
  code: string | null;
}

/** Moves a token's expiry a minute into the past, in the SQLite file the app process serves. */
function expireInDatabase(sqlitePath: string, tokenId: string): void {
  const db = new Database(sqlitePath, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 60000');
    const { changes } = db
      .prepare('UPDATE api_tokens SET expires_at = ? WHERE id = ?')
      .run(dbTime('sqlite', new Date(Date.now() - 60_000)), tokenId);
    expect(changes).toBe(1);
  } finally {
    db.close();
  }
}

if (hasChromium()) {
  /**
   * The admin console in headless Chromium against the built app, as its users use
   * it: signing in with a pasted token, then the screens their role may see. Every test also
   * fails on any Content Security Policy violation, so the built index.html and bundle are held
   * to the strict /admin policy. test/console/processes/console-members.e2e-spec.ts drives the members screens,
   * and test/console/processes/console-screens.e2e-spec.ts checks every screen's accessibility, width and
   * keyboard reach.
   */
  describe('the admin console in Chromium', () => {
    const consoleApp = useConsoleApp('console');
    let app: AppProcess | undefined;
    let browser: ConsoleBrowser | undefined;
    let client: LatchkeyClient;
    let owner: BusinessSetup;
    let ui: ConsoleUi;
    let receiver: WebhookReceiver;
    beforeAll(() => ({ app, browser, ui, client, owner, receiver } = consoleApp));

    /** Runs a step, keeping a screenshot when it fails. */
    const step = <T>(name: string, fn: () => Promise<T>) => ui.step(name, fn);

    const api = <T>(method: string, path: string, token: string, body?: object) =>
      client.request<Envelope<T>>(method, path, {
        headers: scoped(token, owner.businessId),
        ...(body ? { body } : {}),
      });

    it(
      'an owner creates a token, copies its secret, revokes it with a reason, and sees it in a valid audit log',
      async () => {
        const page = browser!.page;
        await step('owner-sign-in', () => ui.signIn(owner.ownerToken));
        const secret = await step('create-token', async () => {
          const listed = page.waitForResponse(
            (r) => new URL(r.url()).pathname === '/api/v1/tokens' && r.request().method() === 'GET',
          );
          await ui.go('Tokens', /tokens/i);
          // The table asks for its columns alone (`fields`), and is answered with nothing more.
          const list = await listed;
          expect(new URL(list.url()).searchParams.getAll('fields')).toContain('status');
          const { items } = ((await list.json()) as Envelope<{ items: object[] }>).data;
          expect(items.length).toBeGreaterThan(0);
          for (const item of items) expect(Object.keys(item)).not.toContain('jti');
          // Creating opens a dialog, the list stays the screen's first thing.
          await ui.button('New token').click();
          await page.getByRole('dialog').getByLabel('Name', { exact: true }).fill('from-console');
          await ui.button('Create token').click();
          const field = page.getByLabel('Secret', { exact: true });
          await field.waitFor();
          return field.inputValue();
        });
        expect(secret).toMatch(/^lk_[0-9A-Za-z]{36}$/);
        // Copy must put the secret itself on the clipboard: something else is there before.
        const copied = await step('copy-secret', async () => {
          await page.evaluate("navigator.clipboard.writeText('nothing copied yet')");
          await ui.button('Copy').click();
          await page.getByRole('status').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
          return page.evaluate<string>('navigator.clipboard.readText()');
        });
        expect(copied).toBe(secret);
        const me = await client.me(copied, owner.businessId);
        expect(me.status).toBe(200);
        const tokenId = (me.body as Envelope<{ token: { id: string } }>).data.token.id;

        await step('revoke-token', async () => {
          await ui.button('Done').click();
          await page.getByRole('dialog').waitFor({ state: 'detached' });
          await ui.go('Tokens', /tokens/i);
          const row = page.getByRole('row').filter({ hasText: 'from-console' });
          await row.getByRole('button', { name: 'Revoke', exact: true }).click();
          await page.getByLabel('Reason', { exact: true }).fill('pasted in a chat by mistake');
          await ui.button('Confirm revoke').click();
          await row
            .getByText(/revoked/i)
            .first()
            .waitFor();
        });
        const after = await client.me(secret, owner.businessId);
        expect(after.status).toBe(401);

        await step('audit-verify', async () => {
          await ui.go('Audit log', /audit/i);
          // The event's row, with its reason: waited for, not counted at once (the action's name
          // can be on the page, in the filter's choices, before the list has loaded; a .ci/run
          // counted the reason too early).
          await page.getByText('token.revoked').first().waitFor();
          await page.getByText('pasted in a chat by mistake').first().waitFor();
          await ui.button('Verify chain').click();
          await page.getByText(/^Chain (valid|invalid)/).waitFor();
          await expect(page.getByText(/^Chain valid: \d+ events checked/).count()).resolves.toBe(1);
        });
        const view = await api<{ revocation_reason: string }>(
          'GET',
          `/api/v1/tokens/${tokenId}`,
          owner.ownerToken,
        );
        expect(view.body.data.revocation_reason).toBe('pasted in a chat by mistake');
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'a member sees only their own tokens and no admin screen; an admin URL shows the API’s refusal, never data',
      async () => {
        const page = browser!.page;
        const added = await api<{ first_token: { id: string; name: string; token: string } }>(
          'POST',
          '/api/v1/members',
          owner.ownerToken,
          { email: `member-${Date.now()}@console.test`, role: 'member' },
        );
        expect(added.status).toBe(201);
        const memberToken = added.body.data.first_token.token;
        const ownersToken = await client.createToken(owner, 'owners-secret-project');
        const membersOwn = await client.request<Envelope<{ id: string }>>(
          'POST',
          '/api/v1/tokens',
          {
            headers: scoped(memberToken, owner.businessId),
            body: { name: 'members-own-token' },
          },
        );
        expect(membersOwn.status).toBe(201);

        await step('member-sign-in', () => ui.signIn(memberToken));
        for (const name of ['Members', 'Machines', 'Webhooks', 'Audit log', 'Businesses']) {
          await expect(ui.nav(name).count()).resolves.toBe(0);
        }
        await step('member-tokens', async () => {
          await ui.go('Tokens', /tokens/i);
          await ui.settled();
          // Their own tokens are listed (so an empty list cannot pass), each linking to itself.
          for (const own of [membersOwn.body.data, added.body.data.first_token]) {
            await page.locator(`a[href="/admin/tokens/${own.id}"]`).waitFor();
          }
        });
        await expect(
          page.getByRole('row').filter({ hasText: 'members-own-token' }).count(),
        ).resolves.toBe(1);
        await expect(page.getByText('owners-secret-project').count()).resolves.toBe(0);
        await expect(page.getByText(ownersToken.id).count()).resolves.toBe(0);

        for (const path of [
          '/admin/members',
          '/admin/audit',
          '/admin/webhooks',
          '/admin/platform/businesses',
        ]) {
          await step(`member-at-${path.replace(/\//g, '_')}`, async () => {
            await ui.open(path);
            await ui.alert().waitFor();
          });
          // The API's own refusal: its status, its code and the request id it answered with.
          const text = await ui.alert().innerText();
          expect(text).toMatch(/\b40[34]\b/);
          expect(text).toMatch(
            /\b(INSUFFICIENT_ROLE|INSUFFICIENT_SCOPE|PLATFORM_ONLY|[A-Z]+_NOT_FOUND|NOT_FOUND|[A-Z_]*PLATFORM[A-Z_]*)\b/,
          );
          expect(text).toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
          await expect(page.getByText(owner.businessId).count()).resolves.toBe(0);
          await expect(page.getByText('owners-secret-project').count()).resolves.toBe(0);
        }
        await ui.open('/admin/tokens');
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'a platform admin suspends a business, and its token then gets 403 BUSINESS_SUSPENDED',
      async () => {
        const page = browser!.page;
        const victim = await client.createBusiness(app!.platformToken!, 'suspend-me');
        await step('platform-sign-in', () => ui.signIn(app!.platformToken!));
        await step('suspend', async () => {
          await ui.go('Businesses', /businesses/i);
          const row = page.getByRole('row').filter({ hasText: victim.businessId.slice(0, 8) });
          const byName = page.getByRole('row').filter({ hasText: 'suspend-me' });
          const target = (await row.count()) > 0 ? row : byName;
          await target.first().getByRole('button', { name: 'Suspend', exact: true }).click();
          // Suspension asks first, and says what it does.
          await page
            .getByRole('dialog')
            .getByText(/BUSINESS_SUSPENDED/)
            .waitFor();
          await ui.button('Suspend business').click();
          await target.first().getByRole('button', { name: 'Resume', exact: true }).waitFor();
        });
        const res = await client.me(victim.ownerToken, victim.businessId);
        expect(res.status).toBe(403);
        expect((res.body as { code: string }).code).toBe('BUSINESS_SUSPENDED');
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'a webhook endpoint added in the console receives the test event, and its delivery shows the payload as sent',
      async () => {
        const page = browser!.page;
        receiver.received.length = 0;
        await step('webhook-sign-in', () => ui.signIn(owner.ownerToken));
        await step('webhook-add', async () => {
          await ui.go('Webhooks', /webhooks/i);
          await ui.button('New endpoint').click();
          await page.getByLabel('URL', { exact: true }).fill(receiver.url);
          await ui.button('Create webhook').click();
          await page.getByLabel('Secret', { exact: true }).waitFor();
        });
        await step('webhook-test', async () => {
          await ui.button('Done').click();
          await page.getByText(receiver.url).first().click();
          await ui.button('Send test event').click();
        });
        const got = await receiver.waitFor((all) =>
          all.some((r) => r.json.type === 'webhook.test'),
        );
        const sent = got.find((r) => r.json.type === 'webhook.test')!;
        // Each delivery shows the payload as it was sent.
        const shown = await step('webhook-payload', async () => {
          const row = page.getByRole('row').filter({ hasText: 'webhook.test' }).first();
          const listed = async () => {
            if ((await row.count()) > 0) return true;
            await ui.button('Refresh').click();
            return false;
          };
          await waitFor('the delivery in the list', listed, PATIENCE_MS, 250);
          await row.getByRole('button', { name: 'Payload', exact: true }).click();
          const pre = page.getByRole('dialog').getByLabel('Payload', { exact: true });
          await pre.waitFor();
          return pre.innerText();
        });
        expect(JSON.parse(shown)).toEqual(JSON.parse(sent.body));
        await page.keyboard.press('Escape');
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'offers no Revoke on an expired token, and still does on an active one',
      async () => {
        const page = browser!.page;
        const res = await api<{ id: string }>('POST', '/api/v1/tokens', owner.ownerToken, {
          name: 'expires-at-once',
          expires_in_days: 1,
        });
        expect(res.status).toBe(201);
        // Expired where the app keeps it: no route makes a token that has already expired, and
        // one made to expire a second from now races a busy machine's first request.
        expireInDatabase(consoleApp.sqlitePath, res.body.data.id);
        await client.createToken(owner, 'stays-active');
        await step('expired-revoke', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Tokens', /tokens/i);
          await page.getByRole('row').filter({ hasText: 'expires-at-once' }).first().waitFor();
        });
        const expired = page.getByRole('row').filter({ hasText: 'expires-at-once' });
        await expect(expired.getByText('expired', { exact: true }).count()).resolves.toBe(1);
        await expect(
          expired.getByRole('button', { name: 'Revoke', exact: true }).count(),
        ).resolves.toBe(0);
        const active = page.getByRole('row').filter({ hasText: 'stays-active' });
        await expect(
          active.getByRole('button', { name: 'Revoke', exact: true }).count(),
        ).resolves.toBe(1);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'one search box finds a token by its name, by its prefix (lk_ and four), and by its holder’s email',
      async () => {
        const page = browser!.page;
        const email = `searcher-${Date.now()}@console.test`;
        const added = await api<{ first_token: { token: string } }>(
          'POST',
          '/api/v1/members',
          owner.ownerToken,
          { email, role: 'member' },
        );
        const needle = await client.request<Envelope<{ token: string }>>('POST', '/api/v1/tokens', {
          headers: scoped(added.body.data.first_token.token, owner.businessId),
          body: { name: 'Needle-In-Haystack' },
        });
        expect(needle.status).toBe(201);
        await client.createToken(owner, 'haystack-straw');
        const list = page.getByRole('region', { name: 'Tokens', exact: true });
        const row = (name: string) => list.getByRole('row').filter({ hasText: name });
        const search = async (text: string, found: string[], gone: string[]) => {
          await page.getByLabel('Search', { exact: true }).fill(text);
          for (const name of gone) await row(name).waitFor({ state: 'detached' });
          for (const name of found) await row(name).first().waitFor();
        };
        await step('search', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Tokens', /tokens/i);
          await row('haystack-straw').waitFor();
          await search('needle-in', ['Needle-In-Haystack'], ['haystack-straw']);
          await search(
            needle.body.data.token.slice(0, 7),
            ['Needle-In-Haystack'],
            ['haystack-straw'],
          );
          await search(email, ['Needle-In-Haystack', 'first-token'], ['haystack-straw']);
          await search('', ['haystack-straw', 'Needle-In-Haystack'], []);
        });
        // Every holder by email or name, never by id (names come after the rows: wait for them).
        await row('Needle-In-Haystack').filter({ hasText: email }).waitFor();
        await expect(list.innerText()).resolves.not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'the usage screen lists the busiest tokens first, with their 2xx and 4xx, in each window, and its own calls apart',
      async () => {
        const page = browser!.page;
        const busy = await client.createToken(owner, 'usage-busiest');
        const calm = await client.createToken(owner, 'usage-calm');
        for (let i = 0; i < 6; i++) await client.me(busy.token, owner.businessId);
        await client.me(calm.token, owner.businessId);
        // Usage is written every few seconds: wait until the summary counts both.
        type Summary = { items: { token: { id: string }; requests: number }[] };
        await waitFor(
          'the usage of both tokens',
          async () => {
            const res = await api<Summary>('GET', '/api/v1/tokens/usage', owner.ownerToken);
            const counted = res.body.data.items.filter((r) =>
              [busy.id, calm.id].includes(r.token.id),
            );
            return counted.length === 2;
          },
          PATIENCE_MS,
          250,
        );
        const table = page.getByRole('region', { name: 'Requests per token', exact: true });
        await step('usage', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Usage', /^usage$/i);
          await table.getByRole('row').filter({ hasText: 'usage-busiest' }).waitFor();
        });
        const names = await table.getByRole('rowheader').allInnerTexts();
        const at = (name: string) => names.findIndex((n) => n.includes(name));
        expect(at('usage-busiest')).toBeGreaterThanOrEqual(0);
        expect(at('usage-busiest')).toBeLessThan(at('usage-calm'));
        const row = table.getByRole('row').filter({ hasText: 'usage-busiest' });
        await expect(row.getByRole('cell').nth(1).innerText()).resolves.toMatch(/^6\b/);
        await page.getByLabel('Last 7 days', { exact: true }).check();
        await table.getByRole('row').filter({ hasText: 'usage-busiest' }).waitFor();
        await expect(
          page.getByRole('heading', { name: 'Unused for 90 days' }).count(),
        ).resolves.toBe(1);
        await ui.signOut();
        // The console's own calls were counted apart, as the console's, for the token it used.
        const mine = await api<{ token: { id: string } }>('GET', '/api/v1/me', owner.ownerToken);
        type Hours = { hours: { requests: number; console_requests: number }[] };
        const usage = `/api/v1/tokens/${mine.body.data.token.id}/usage`;
        const counted = async () => {
          const { hours } = (await api<Hours>('GET', usage, owner.ownerToken)).body.data;
          const sum = (of: (h: Hours['hours'][number]) => number) =>
            hours.reduce((n, h) => n + of(h), 0);
          return { byConsole: sum((h) => h.console_requests), all: sum((h) => h.requests) };
        };
        const seen = await lastReading(counted, ({ byConsole }) => byConsole > 0, 250);
        expect(seen.byConsole).toBeGreaterThan(0);
        expect(seen.byConsole).toBeLessThan(seen.all);
      },
      TIMEOUT_MS,
    );

    it(
      'hears a CSP violation when one happens, so a test that hears none proves the policy held',
      async () => {
        const page = browser!.page;
        await ui.open();
        await page.getByLabel('Token', { exact: true }).waitFor();
        // An inline script, which script-src 'self' refuses.
        await page.evaluate(
          "document.body.append(Object.assign(document.createElement('script'), { textContent: 'window.ran = 1' }))",
        );
        // Heard on both channels: the page's listener, and Chromium's own console error.
        const both = () =>
          browser!.cspViolations.some((m) => m.startsWith('[csp] ')) &&
          browser!.cspViolations.some((m) => /Content Security Policy/.test(m));
        await lastReading(both, (heard) => heard);
        const violations = browser!.cspViolations.splice(0);
        expect(violations).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/^\[csp\] script-src-elem refused inline/),
            expect.stringMatching(
              /inline script violates .*Content Security Policy .*'script-src 'self''/,
            ),
          ]),
        );
        await expect(page.evaluate('window.ran')).resolves.toBeUndefined();
      },
      TIMEOUT_MS,
    );
  });
} else {
  // Built conditionally rather than skipped, so the summary shows a todo that says why.
  describe('the admin console in Chromium', () => {
    it.todo('runs when /usr/bin/chromium is installed (bash .ci/run installs it)');
  });
}

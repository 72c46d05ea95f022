import AxeBuilder from '@axe-core/playwright';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, REPO_ROOT, startAppProcess } from '../support/app-process';
import { ConsoleBrowser, ConsoleUi, openConsole, PHONE } from '../support/console-ui';
import { BusinessSetup, IssuedToken, LatchkeyClient, scoped } from '../support/latchkey-client';
import { hasChromium, VIEWPORT } from '../support/swagger-ui';
import { buildApp } from './helpers/app-process';
import { WebhookReceiver } from './helpers/webhook-receiver';

const TIMEOUT_MS = 180_000;
/** Ignored by git: what the browser showed where a screen could not be reached. */
const SHOTS = join(REPO_ROOT, 'test-results', 'console');

interface Envelope<T> {
  data: T;
}

type Who = 'signed out' | 'owner' | 'member' | 'platform admin';

/** A screen, or a state of one (a dialog open, a secret shown), and how to reach it. */
interface View {
  name: string;
  show(): Promise<void>;
  /** A screen that leads with a list: checked for what a list must do (see `problems`). */
  list?: true;
}

if (hasChromium()) {
  /**
   * Issue 25's fifth test: on every screen and dialog of the console, for every role, at 1280 and
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

    async function until(what: string, check: () => Promise<boolean>): Promise<void> {
      const deadline = Date.now() + 30_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
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
      // Usage is written in batches every few seconds; deliveries go out on the next poll.
      await until('the busy token’s usage', async () => {
        const usage = await call<{ recent_ips: unknown[] }>(
          'GET',
          `/api/v1/tokens/${busy.id}/usage`,
        );
        return usage.recent_ips.length > 0;
      });
      await until('the test delivery', async () => {
        const page = await call<{ items: { event_type: string }[] }>(
          'GET',
          `/api/v1/webhooks/${webhookId}/deliveries`,
        );
        return page.items.some((a) => a.event_type === 'webhook.test');
      });
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

    /** Opens a path, and waits for its heading and for loading to end. */
    async function screen(path: string, heading: RegExp): Promise<void> {
      await ui.open(path);
      await ui.page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await ui.settled();
    }

    /** Clicks a button and waits for the modal dialog it opens. */
    async function openDialog(button: string): Promise<void> {
      await ui.button(button).first().click();
      await ui.page.getByRole('dialog').waitFor();
    }

    let made = 0;
    const VIEWS: Record<Who, () => View[]> = {
      'signed out': () => [{ name: 'sign in', show: () => screen('/admin/', /^sign in/i) }],
      owner: () => {
        const page = ui.page;
        const dialog = page.getByRole('dialog');
        return [
          { name: 'overview', show: () => screen('/admin/', /^overview$/i) },
          { name: 'tokens', list: true, show: () => screen('/admin/tokens', /^tokens$/i) },
          {
            name: 'the new-token dialog',
            show: async () => {
              await screen('/admin/tokens', /^tokens$/i);
              await openDialog('New token');
            },
          },
          {
            name: 'a new token’s one-time secret',
            show: async () => {
              await screen('/admin/tokens', /^tokens$/i);
              await openDialog('New token');
              await dialog.getByLabel('Name', { exact: true }).fill(`made-${++made}`);
              await ui.button('Create token').click();
              await page.getByLabel('Secret', { exact: true }).waitFor();
            },
          },
          {
            name: 'bulk revoke’s dry run',
            show: async () => {
              await screen('/admin/tokens', /^tokens$/i);
              await openDialog('Bulk revoke');
              await dialog.getByLabel('Every token of the business', { exact: true }).check();
              await dialog.getByLabel('Reason', { exact: true }).fill('leaked CI logs');
              await ui.button('Preview bulk revoke').click();
              await ui.button('Confirm bulk revoke').waitFor();
            },
          },
          {
            name: 'risky tokens',
            list: true,
            show: () => screen('/admin/tokens/risky', /^risky tokens$/i),
          },
          {
            name: 'usage across tokens',
            list: true,
            show: async () => {
              await screen('/admin/usage', /^usage$/i);
              await page.getByRole('region', { name: 'Requests per token' }).waitFor();
            },
          },
          {
            name: 'a token’s usage chart and addresses',
            show: async () => {
              await screen(`/admin/tokens/${busy.id}`, /busy-token/);
              await page.getByRole('group', { name: /requests per hour, [1-9]/i }).waitFor();
              await page.getByRole('region', { name: 'Client addresses', exact: true }).waitFor();
            },
          },
          {
            name: 'the revoke dialog',
            show: async () => {
              await screen(`/admin/tokens/${busy.id}`, /busy-token/);
              await openDialog('Revoke');
            },
          },
          {
            name: 'the rotate dialog',
            show: async () => {
              await screen(`/admin/tokens/${busy.id}`, /busy-token/);
              await openDialog('Rotate');
            },
          },
          {
            name: 'a rotation’s new secret',
            show: async () => {
              const spare = await client.createToken(owner, `rotate-me-${++made}`);
              await screen(`/admin/tokens/${spare.id}`, /rotate-me/);
              await openDialog('Rotate');
              await ui.button('Confirm rotate').click();
              await dialog.getByLabel('Secret', { exact: true }).waitFor();
            },
          },
          { name: 'members', list: true, show: () => screen('/admin/members', /^members$/i) },
          {
            name: 'the add-member dialog',
            show: async () => {
              await screen('/admin/members', /^members$/i);
              await openDialog('Add member');
            },
          },
          {
            name: 'the re-issue confirmation',
            show: async () => {
              await screen('/admin/members', /^members$/i);
              await openDialog('Re-issue first token');
            },
          },
          {
            name: 'the change-role dialog',
            show: async () => {
              await screen('/admin/members', /^members$/i);
              await openDialog('Change role');
            },
          },
          {
            name: 'the remove-member confirmation',
            show: async () => {
              await screen('/admin/members', /^members$/i);
              await openDialog('Remove');
            },
          },
          {
            name: 'machines',
            list: true,
            show: () => screen('/admin/machines', /^machine identities$/i),
          },
          {
            name: 'a machine’s trust rules',
            list: true,
            show: async () => {
              await screen(`/admin/machines/${machineId}`, /^machine identity$/i);
              await page.getByRole('region', { name: 'Trust rules' }).waitFor();
            },
          },
          {
            name: 'the new-trust-rule dialog',
            show: async () => {
              await screen(`/admin/machines/${machineId}`, /^machine identity$/i);
              await openDialog('New trust rule');
            },
          },
          {
            name: 'the delete-trust-rule confirmation',
            show: async () => {
              await screen(`/admin/machines/${machineId}`, /^machine identity$/i);
              await openDialog('Delete');
            },
          },
          { name: 'webhooks', list: true, show: () => screen('/admin/webhooks', /^webhooks$/i) },
          {
            name: 'the new-endpoint dialog',
            show: async () => {
              await screen('/admin/webhooks', /^webhooks$/i);
              await openDialog('New endpoint');
            },
          },
          {
            name: 'a webhook’s deliveries',
            list: true,
            show: async () => {
              await screen(`/admin/webhooks/${webhookId}`, /^webhook endpoint$/i);
              await page.getByRole('rowheader', { name: 'webhook.test' }).first().waitFor();
            },
          },
          {
            name: 'a delivery’s payload',
            show: async () => {
              await screen(`/admin/webhooks/${webhookId}`, /^webhook endpoint$/i);
              await openDialog('Payload');
              await dialog.getByLabel('Payload', { exact: true }).waitFor();
            },
          },
          { name: 'audit log', list: true, show: () => screen('/admin/audit', /^audit log$/i) },
          {
            name: 'an audit event',
            show: async () => {
              await screen('/admin/audit', /^audit log$/i);
              await page
                .getByRole('region', { name: 'Audit events' })
                .getByRole('button')
                .first()
                .click();
              await dialog.waitFor();
            },
          },
        ];
      },
      member: () => [
        { name: 'overview', show: () => screen('/admin/', /^overview$/i) },
        {
          name: 'their tokens',
          list: true,
          show: async () => {
            await screen('/admin/tokens', /^tokens$/i);
            await ui.page.getByRole('region', { name: 'Tokens', exact: true }).waitFor();
          },
        },
        {
          name: 'an admin screen, refused',
          show: async () => {
            await screen('/admin/members', /^not available$/i);
            await ui.alert().waitFor();
          },
        },
      ],
      'platform admin': () => [
        {
          name: 'overview, with the business picker',
          show: async () => {
            await screen('/admin/', /^overview$/i);
            await ui.page.getByLabel('Business', { exact: true }).waitFor();
          },
        },
        {
          name: 'businesses',
          list: true,
          show: () => screen('/admin/platform/businesses', /^businesses$/i),
        },
        {
          name: 'platform admins',
          list: true,
          show: () => screen('/admin/platform/admins', /^platform admins$/i),
        },
        {
          name: 'all tokens',
          list: true,
          show: () => screen('/admin/platform/tokens', /^all tokens$/i),
        },
        {
          name: 'the revoke-by-value dialog',
          show: async () => {
            await screen('/admin/platform/tokens', /^all tokens$/i);
            await openDialog('Revoke by value');
          },
        },
        {
          name: 'platform audit log',
          list: true,
          show: () => screen('/admin/platform/audit', /^platform audit log$/i),
        },
      ],
    };

    /**
     * What the checks find on what the page shows now. At both widths, axe. At 1280 px, every
     * Actions button wholly in view, a list's rows naming people, machines and businesses (no
     * uuid), and the walk of the tab order (the same document at 390 px, so walked once). At
     * 390 px, nothing scrolls sideways, and a list starts in the first screen.
     */
    async function problems(view: View, narrow: boolean): Promise<string[]> {
      const found: string[] = [];
      const axe = await new AxeBuilder({ page: ui.page }).analyze();
      for (const v of axe.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          found.push(`axe ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
        }
      }
      if (narrow) {
        if (await ui.scrollsSideways()) found.push('scrolls sideways');
        const top = view.list ? await ui.listTop() : null;
        if (view.list && (top === null || top >= PHONE.height)) {
          found.push(`the list starts at ${top} px, below the first screen`);
        }
        return found;
      }
      for (const cut of await ui.clippedActions()) found.push(`action not wholly shown: ${cut}`);
      if (view.list) {
        for (const id of await ui.uuidsInLists()) found.push(`a uuid where a name belongs: ${id}`);
      }
      for (const el of await ui.unreachableByTab()) found.push(`never reached by Tab: ${el}`);
      return found;
    }

    it.each<Who>(['signed out', 'owner', 'member', 'platform admin'])(
      'as %s: no serious or critical axe violation; at 1280 px every action wholly shown, names not uuids, every control reached by Tab; at 390 px no sideways scroll and the list in the first screen',
      async (who) => {
        const token = {
          'signed out': null,
          owner: owner.ownerToken,
          member: memberToken,
          'platform admin': app!.platformToken!,
        }[who];
        if (token) await ui.signIn(token);
        const failures: string[] = [];
        for (const viewport of [VIEWPORT, PHONE]) {
          await ui.page.setViewportSize(viewport);
          for (const view of VIEWS[who]()) {
            const where = `${who}, ${view.name}, ${viewport.width} px`;
            try {
              await view.show();
            } catch (e) {
              mkdirSync(SHOTS, { recursive: true });
              const shot = join(SHOTS, `${where.replace(/[^a-z0-9]+/gi, '-')}-failed.png`);
              await ui.screenshot(shot).catch(() => undefined);
              failures.push(`${where}: not reached: ${(e as Error).message.split('\n')[0]}`);
              continue;
            }
            for (const problem of await problems(view, viewport.width === PHONE.width)) {
              failures.push(`${where}: ${problem}`);
            }
          }
        }
        expect(failures).toEqual([]);
      },
      TIMEOUT_MS * 2,
    );

    it('finds what Tab cannot reach: a control out of the tab order, a clickable span', async () => {
      await screen('/admin/', /^sign in/i);
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

    it('finds an action cut off, a uuid in a list, and a list below the first screen', async () => {
      await screen('/admin/', /^sign in/i);
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

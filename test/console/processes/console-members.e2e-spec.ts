import type { AppProcess } from '../../harness/app-process';
import type { ConsoleBrowser, ConsoleUi } from '../../harness/browser/console-ui';
import { BusinessSetup, LatchkeyClient, scoped } from '../../harness/latchkey-client';
import { hasChromium } from '../../harness/browser/swagger-ui';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS, useConsoleApp } from '../console-app';

interface Envelope<T> {
  data: T;
  code: string | null;
}

if (hasChromium()) {
  /**
   * The admin console's people in headless Chromium against the built app: removing a
   * member, re-issuing a first token where the token policy allows it, and how machines are
   * named. Every test also fails on any Content Security Policy violation. The rest of the
   * console is in test/console/processes/console.e2e-spec.ts.
   */
  describe('the admin console in Chromium', () => {
    const consoleApp = useConsoleApp('console-members');
    let app: AppProcess | undefined;
    let browser: ConsoleBrowser | undefined;
    let client: LatchkeyClient;
    let owner: BusinessSetup;
    let ui: ConsoleUi;
    beforeAll(() => ({ app, browser, ui, client, owner } = consoleApp));

    /** Runs a step, keeping a screenshot when it fails. */
    const step = <T>(name: string, fn: () => Promise<T>) => ui.step(name, fn);

    const api = <T>(method: string, path: string, token: string, body?: object) =>
      client.request<Envelope<T>>(method, path, {
        headers: scoped(token, owner.businessId),
        ...(body ? { body } : {}),
      });

    /** Opens a business from the Businesses screen, as a platform admin does. */
    async function openBusiness(name: string): Promise<void> {
      await ui.go('Businesses', /businesses/i);
      const row = browser!.page.getByRole('row').filter({ hasText: name });
      await row.first().getByRole('button', { name: 'Open', exact: true }).click();
      await browser!.page.getByRole('heading', { level: 1, name: /^tokens$/i }).waitFor();
    }

    /** The row of the Members list that names `who`. */
    const memberRow = (who: string) => browser!.page.getByRole('row').filter({ hasText: who });
    const reissueButton = (who: string) =>
      memberRow(who).getByRole('button', { name: 'Re-issue first token', exact: true });

    it(
      'removing a member asks first: Cancel keeps them, Confirm removes them, revokes their tokens and says how many, and their tokens still name them',
      async () => {
        const page = browser!.page;
        const email = `leaving-${Date.now()}@console.test`;
        const added = await api<{ first_token: { token: string } }>(
          'POST',
          '/api/v1/members',
          owner.ownerToken,
          { email, role: 'member' },
        );
        expect(added.status).toBe(201);
        const first = added.body.data.first_token.token;
        const second = await client.request<Envelope<{ token: string }>>('POST', '/api/v1/tokens', {
          headers: scoped(first, owner.businessId),
          body: { name: 'leaving-second' },
        });
        expect(second.status).toBe(201);

        await step('remove-sign-in', () => ui.signIn(owner.ownerToken));
        await ui.go('Members', /members/i);
        const row = page.getByRole('row').filter({ hasText: email });
        await step('remove-cancel', async () => {
          await row.getByRole('button', { name: 'Remove', exact: true }).click();
          await page.getByRole('dialog', { name: `Remove ${email}` }).waitFor();
          await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
          await page.getByRole('dialog').waitFor({ state: 'detached' });
        });
        // Cancel changed nothing: both tokens still work.
        expect((await client.me(first, owner.businessId)).status).toBe(200);
        expect((await client.me(second.body.data.token, owner.businessId)).status).toBe(200);

        await step('remove-confirm', async () => {
          await row.getByRole('button', { name: 'Remove', exact: true }).click();
          await ui.button('Remove member').click();
          await page
            .getByRole('status')
            .filter({ hasText: `Removed; 2 tokens revoked. ${email} is no longer a member.` })
            .waitFor();
          await row.waitFor({ state: 'detached' });
        });
        expect((await client.me(first, owner.businessId)).status).toBe(401);
        expect((await client.me(second.body.data.token, owner.businessId)).status).toBe(401);
        // The Remove button went with its row; focus went to the page, not to <body>.
        await expect(
          page.evaluate<string | null>('document.activeElement && document.activeElement.id'),
        ).resolves.toBe('main');
        // Their revoked tokens still say who held them: the email, never an id.
        await ui.go('Tokens', /^tokens$/i);
        const held = page.getByRole('row').filter({ hasText: 'leaving-second' });
        // The holder's name comes with the names of former holders, after the row: wait for it.
        await held.filter({ hasText: `${email} (former member)` }).waitFor();
        await expect(held.innerText()).resolves.not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'offers Re-issue first token only where the token policy allows it: never to a platform admin, nor on another owner',
      async () => {
        const page = browser!.page;
        const stamp = Date.now();
        const people = {
          owner2: `second-owner-${stamp}@console.test`,
          admin: `an-admin-${stamp}@console.test`,
          member: `a-member-${stamp}@console.test`,
        };
        for (const [key, email] of Object.entries(people)) {
          const role = key === 'owner2' ? 'owner' : key;
          const res = await api('POST', '/api/v1/members', owner.ownerToken, { email, role });
          expect(res.status).toBe(201);
        }

        // The policy's `reissue` row gives a platform token NOT_TOKEN_HOLDER on every person.
        await step('reissue-platform', async () => {
          await ui.signIn(app!.platformToken!);
          await openBusiness('console');
          await ui.go('Members', /members/i);
          await memberRow(people.member).getByRole('button', { name: 'Change role' }).waitFor();
        });
        await expect(
          page.getByRole('button', { name: 'Re-issue first token', exact: true }).count(),
        ).resolves.toBe(0);
        await ui.signOut();

        // An owner: on themselves, an admin and a member, but not on another owner.
        await step('reissue-owner', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Members', /members/i);
          await memberRow(people.member).getByRole('button', { name: 'Change role' }).waitFor();
        });
        for (const who of [people.admin, people.member]) {
          await expect(reissueButton(who).count()).resolves.toBe(1);
        }
        await expect(reissueButton(people.owner2).count()).resolves.toBe(0);
        await expect(reissueButton('(you)').count()).resolves.toBe(1);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'names a machine once in the audit log: "deploy-bot", never "machine: machine:deploy-bot"',
      async () => {
        const page = browser!.page;
        const made = await api('POST', '/api/v1/machine-identities', owner.ownerToken, {
          name: 'deploy-bot',
          role: 'member',
        });
        expect(made.status).toBe(201);
        await step('audit-machine', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Audit log', /audit/i);
          await page
            .getByRole('row')
            .filter({ hasText: 'identity.created' })
            .filter({ hasText: 'deploy-bot' })
            .first()
            .waitFor();
        });
        const table = await page.getByRole('region', { name: 'Audit events' }).innerText();
        expect(table).not.toContain('machine:deploy-bot');
        expect(table).not.toMatch(/machine:\s*machine/);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'a re-issued first token replaces the old one: it is revoked at once, and the console says so',
      async () => {
        const page = browser!.page;
        const email = `lost-it-${Date.now()}@console.test`;
        const added = await api<{ first_token: { token: string } }>(
          'POST',
          '/api/v1/members',
          owner.ownerToken,
          { email, role: 'member' },
        );
        expect(added.status).toBe(201);
        const old = added.body.data.first_token.token;
        const fresh = await step('reissue', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Members', /members/i);
          await reissueButton(email).click();
          const dialog = page.getByRole('dialog');
          await dialog.getByText(/stops working at once/).waitFor();
          await dialog.getByRole('button', { name: 'Confirm re-issue', exact: true }).click();
          await page
            .getByRole('status')
            .filter({ hasText: 'their old first token was revoked' })
            .waitFor();
          return page.getByLabel('Secret', { exact: true }).inputValue();
        });
        expect((await client.me(old, owner.businessId)).status).toBe(401);
        expect((await client.me(fresh, owner.businessId)).status).toBe(200);
        await ui.signOut();
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

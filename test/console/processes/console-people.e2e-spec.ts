import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../../harness/app-process';
import { buildApp } from '../../harness/app-cluster';
import { openConsole, type ConsoleBrowser, type ConsoleUi } from '../../harness/browser/console-ui';
import { BusinessSetup, LatchkeyClient, scoped } from '../../harness/latchkey-client';
import { hasChromium } from '../../harness/browser/swagger-ui';
import { MailSink } from '../../invitations/mail-sink';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS, useConsoleApp } from '../console-app';

interface Envelope<T> {
  data: T;
  code: string | null;
}

if (hasChromium()) {
  /**
   * The console's people screens in headless Chromium against the built app: custom roles made,
   * given and refused deletion while held; SSO group rules added and removed; and an invitation
   * in an installation that sends no email (this app has no SMTP_URL). The layout, axe and
   * keyboard checks of the Roles screen are in the walk (test/console/console-people-views.ts).
   */
  describe('the admin console’s people screens in Chromium', () => {
    const consoleApp = useConsoleApp('console-people');
    let browser: ConsoleBrowser | undefined;
    let client: LatchkeyClient;
    let owner: BusinessSetup;
    let ui: ConsoleUi;
    beforeAll(() => ({ browser, ui, client, owner } = consoleApp));

    const step = <T>(name: string, fn: () => Promise<T>) => ui.step(name, fn);
    const api = <T>(method: string, path: string, body?: object) =>
      client.request<Envelope<T>>(method, path, {
        headers: scoped(owner.ownerToken, owner.businessId),
        ...(body ? { body } : {}),
      });
    const row = (text: string) => browser!.page.getByRole('row').filter({ hasText: text });

    it(
      'an owner makes a custom role and gives it to a member, whose row then shows it; deleting the held role is CUSTOM_ROLE_IN_USE',
      async () => {
        const page = browser!.page;
        const dialog = page.getByRole('dialog');
        const email = `deployer-${Date.now()}@console.test`;
        const added = await api('POST', '/api/v1/members', { email, role: 'member' });
        expect(added.status).toBe(201);

        await step('role-make', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Roles', /^roles$/i);
          await ui.button('New role').click();
          await dialog.getByLabel('Name', { exact: true }).fill('deployer');
          await dialog.getByLabel('Base role', { exact: true }).selectOption('member');
          await dialog.getByLabel('Scopes', { exact: true }).fill('deploy:*, tokens:read');
          await ui.button('Create role').click();
          await page.getByRole('status').filter({ hasText: 'Made the role deployer.' }).waitFor();
          await row('deployer').filter({ hasText: 'deploy:*, tokens:read' }).waitFor();
        });
        const roles = await api<{ items: { name: string; scopes: string[] }[] }>(
          'GET',
          '/api/v1/custom-roles',
        );
        expect(roles.body.data.items).toEqual([
          expect.objectContaining({ name: 'deployer', scopes: ['deploy:*', 'tokens:read'] }),
        ]);

        await step('role-give', async () => {
          await ui.go('Members', /^members$/i);
          await row(email).getByRole('button', { name: 'Custom role', exact: true }).click();
          await dialog.getByLabel('Custom role', { exact: true }).selectOption({
            label: 'deployer (member)',
          });
          await ui.button('Save custom role').click();
          await page
            .getByRole('status')
            .filter({ hasText: `${email} now holds deployer` })
            .waitFor();
          await row(email).filter({ hasText: 'custom: deployer' }).waitFor();
        });
        // What the row says survives a reload: it is the server's state, not the screen's.
        await page.reload();
        await row(email).filter({ hasText: 'custom: deployer' }).waitFor();
        await expect(row(email).innerText()).resolves.not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);

        await step('role-delete-held', async () => {
          await ui.go('Roles', /^roles$/i);
          await row('deployer').getByRole('button', { name: 'Delete', exact: true }).click();
          await ui.button('Delete role').click();
          await dialog.getByRole('alert').filter({ hasText: 'CUSTOM_ROLE_IN_USE' }).waitFor();
          await ui.button('Cancel').click();
          await dialog.waitFor({ state: 'detached' });
        });
        const still = await api<{ items: unknown[] }>('GET', '/api/v1/custom-roles');
        expect(still.body.data.items).toHaveLength(1);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'an owner adds a single sign-on group rule, and removes it after confirming',
      async () => {
        const page = browser!.page;
        const dialog = page.getByRole('dialog');
        await step('group-add', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Roles', /^roles$/i);
          await ui.button('Add rule').click();
          await dialog.getByLabel('Group', { exact: true }).fill('eng-platform');
          await dialog.getByLabel('Role', { exact: true }).selectOption('admin');
          await ui.button('Save rule').click();
          await row('eng-platform').filter({ hasText: 'admin' }).waitFor();
        });
        const rules = await api<{ items: { group: string; role: string }[] }>(
          'GET',
          '/api/v1/sso/group-roles',
        );
        expect(rules.body.data.items).toEqual([
          expect.objectContaining({ group: 'eng-platform', role: 'admin' }),
        ]);

        await step('group-remove', async () => {
          await row('eng-platform').getByRole('button', { name: 'Remove', exact: true }).click();
          await ui.button('Remove rule').click();
          await row('eng-platform').waitFor({ state: 'detached' });
          await page.getByText('No group rules').waitFor();
        });
        const after = await api<{ items: unknown[] }>('GET', '/api/v1/sso/group-roles');
        expect(after.body.data.items).toEqual([]);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'inviting by email where the installation sends none shows EMAIL_NOT_CONFIGURED, and stores no invitation',
      async () => {
        const page = browser!.page;
        const dialog = page.getByRole('dialog');
        await step('invite-no-smtp', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Members', /^members$/i);
          await page.getByText('No open invitations').waitFor();
          await ui.button('Invite by email').click();
          await dialog.getByLabel('Email', { exact: true }).fill('invitee@console.test');
          await dialog.getByLabel('Hours the link works', { exact: true }).fill('48');
          await ui.button('Send invitation').click();
          await dialog.getByRole('alert').filter({ hasText: 'EMAIL_NOT_CONFIGURED' }).waitFor();
        });
        await expect(dialog.getByRole('alert').innerText()).resolves.toContain('409');
        const open = await api<{ items: unknown[] }>('GET', '/api/v1/invitations');
        expect(open.body.data.items).toEqual([]);
        await ui.button('Cancel').click();
        await ui.signOut();
      },
      TIMEOUT_MS,
    );
  });

  /**
   * Invitations where the installation sends email: an app of its own, with SMTP_URL on a mail
   * sink, so the open invitations' table has rows, and Resend and Revoke act on them.
   */
  describe('the admin console’s invitations with a mail server', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-console-invitations-'));
    let sink: MailSink;
    let app: AppProcess | undefined;
    let browser: ConsoleBrowser | undefined;
    let owner: BusinessSetup;
    beforeAll(async () => {
      await buildApp();
      sink = await MailSink.start();
      app = await startAppProcess({
        name: 'console-invitations',
        env: {
          SQLITE_PATH: join(dir, 'console.sqlite'),
          LOG_LEVEL: 'warn',
          SMTP_URL: sink.url,
          SMTP_FROM: 'Latchkey <no-reply@latchkey.test>',
          ...RATE_LIMITS_OFF,
        },
      });
      owner = await new LatchkeyClient(app.url).createBusiness(app.platformToken!, 'mail');
      browser = await openConsole(app.url);
    }, TIMEOUT_MS);
    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await sink?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, TIMEOUT_MS);
    afterEach(() => expect(browser!.cspViolations.splice(0)).toEqual([]));

    it(
      'an owner invites by email; the row shows it pending with its inviter, a Resend within the minute is INVITATION_RESEND_TOO_SOON, and Revoke asks first',
      async () => {
        const { page, ui } = browser!;
        const dialog = page.getByRole('dialog');
        const email = 'invitee@console.test';
        const invitation = () => page.getByRole('row').filter({ hasText: email });
        await ui.step('invite-sent', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Members', /^members$/i);
          await ui.button('Invite by email').click();
          await dialog.getByLabel('Email', { exact: true }).fill(email);
          await dialog.getByLabel('Role', { exact: true }).selectOption('admin');
          await ui.button('Send invitation').click();
          await page
            .getByRole('status')
            .filter({ hasText: `Invited ${email} as admin` })
            .waitFor();
          await invitation().filter({ hasText: 'pending' }).waitFor();
        });
        const shown = await invitation().innerText();
        expect(shown).toMatch(/admin/);
        expect(shown).toMatch(/owner-[0-9a-f]+@mail\.test/);
        expect(shown).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
        await sink.lastLinkTo(email);

        // One send a minute per invitation: a Resend at once is refused, and says so plainly.
        await ui.step('invite-resent-too-soon', async () => {
          await invitation().getByRole('button', { name: 'Resend', exact: true }).click();
          await ui.alert().filter({ hasText: 'INVITATION_RESEND_TOO_SOON' }).waitFor();
        });
        expect(sink.mailsTo(email)).toHaveLength(1);

        await ui.step('invite-revoked', async () => {
          await invitation().getByRole('button', { name: 'Revoke', exact: true }).click();
          await ui.button('Cancel').click();
          await dialog.waitFor({ state: 'detached' });
          await invitation().waitFor();
          await invitation().getByRole('button', { name: 'Revoke', exact: true }).click();
          await ui.button('Revoke invitation').click();
          await invitation().waitFor({ state: 'detached' });
          await page.getByText('No open invitations').waitFor();
        });
        await ui.signOut();
      },
      TIMEOUT_MS,
    );
  });
} else {
  // Built conditionally rather than skipped, so the summary shows a todo that says why.
  describe('the admin console’s people screens in Chromium', () => {
    it.todo('runs when /usr/bin/chromium is installed (bash .ci/run installs it)');
  });
}

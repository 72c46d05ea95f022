import { scoped } from '../../harness/latchkey-client';
import { hasChromium } from '../../harness/browser/swagger-ui';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS, useConsoleApp } from '../console-app';

interface Envelope<T> {
  data: T;
  code: string | null;
}

interface Added {
  first_token: { token: string };
}

if (hasChromium()) {
  /**
   * The console's Requests screen in headless Chromium against the built app: a member asks for a
   * token the policy holds back, an owner reads its justification, scopes and lifetime against
   * the policy and approves it with a reason, the member collects it and sees its secret once;
   * an owner approving their own request is SELF_APPROVAL; an owner denies with a reason and a
   * member withdraws their own. The layout, axe and keyboard checks of the screen and its
   * dialogs are in the walk (test/console/console-request-views.ts).
   */
  describe('the admin console’s Requests screen in Chromium', () => {
    const consoleApp = useConsoleApp('console-requests');

    const api = <T>(method: string, path: string, body?: object, token?: string) =>
      consoleApp.client.request<Envelope<T>>(method, path, {
        headers: scoped(token ?? consoleApp.owner.ownerToken, consoleApp.owner.businessId),
        ...(body ? { body } : {}),
      });
    const row = (text: string) =>
      consoleApp.browser.page.getByRole('row').filter({ hasText: text });

    /** Deploy tokens need an approver, within 90 days: the whole policy put back with those rules. */
    beforeAll(async () => {
      const policy = await api<Record<string, unknown>>('GET', '/api/v1/token-policy');
      expect(policy.status).toBe(200);
      const rest = { ...policy.body.data };
      delete rest.updated_at;
      delete rest.updated_by;
      const put = await api<{ approval_required: unknown }>('PUT', '/api/v1/token-policy', {
        ...rest,
        max_lifetime_days: 90,
        approval_required: { machine_tokens: false, scopes: ['deploy:*'] },
      });
      expect(put.status).toBe(200);
      expect(put.body.data.approval_required).toEqual(
        expect.objectContaining({ machine_tokens: false, scopes: ['deploy:*'] }),
      );
    }, TIMEOUT_MS);

    it(
      'a member requests a deploy token, an owner approves it, and the member collects its secret once',
      async () => {
        const { ui, owner } = consoleApp;
        const page = ui.page;
        const dialog = page.getByRole('dialog');
        const email = `releaser-${Date.now()}@console.test`;
        const added = await api<Added>('POST', '/api/v1/members', { email, role: 'member' });
        expect(added.status).toBe(201);
        const memberToken = added.body.data.first_token.token;

        await ui.step('request-ask', async () => {
          await ui.signIn(memberToken);
          await ui.go('Requests', /^requests$/i);
          await ui.button('Request a token').click();
          await dialog.getByLabel('Name', { exact: true }).fill('release');
          await dialog.getByLabel('Scopes', { exact: true }).fill('deploy:prod');
          await dialog.getByLabel('Expires in days', { exact: true }).fill('5');
          await dialog.getByLabel('Justification', { exact: true }).fill('Deploys the release');
          await ui.button('Send request').click();
          await dialog.waitFor({ state: 'detached' });
          await row('release').filter({ hasText: 'pending' }).filter({ hasText: email }).waitFor();
          // A member decides nothing: neither button is offered.
          await expect(
            row('release').getByRole('button', { name: 'Approve' }).count(),
          ).resolves.toBe(0);
          await ui.signOut();
        });

        await ui.step('request-approve', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Requests', /^requests$/i);
          // The row says why and for how long before anything is opened.
          await row('release').filter({ hasText: 'Deploys the release' }).waitFor();
          await row('release').filter({ hasText: '5 days' }).waitFor();
          await row('release').getByRole('button', { name: 'Approve', exact: true }).click();
          // Approving asks first, with the case in front of the approver.
          await expect(dialog.getByRole('heading', { level: 2 }).innerText()).resolves.toBe(
            'Approve the request for release',
          );
          const fact = (term: string) =>
            dialog
              .locator('dl.facts > div')
              .filter({ has: page.getByRole('term').getByText(term, { exact: true }) })
              .getByRole('definition');
          await expect(fact('Justification').innerText()).resolves.toBe('Deploys the release');
          await expect(fact('Scopes').innerText()).resolves.toBe('deploy:prod');
          await expect(fact('Lifetime').innerText()).resolves.toBe('5 days');
          const standing = dialog.getByRole('region', { name: 'Against the token policy' });
          await expect(standing.getByRole('listitem').allTextContents()).resolves.toEqual([
            'within Maximum lifetime: 5 of at most 90 days',
            'within Needs an approver: Because its scopes (deploy:prod) reach deploy:*',
          ]);
          // Cancel decides nothing.
          await ui.button('Cancel').click();
          await dialog.waitFor({ state: 'detached' });
          await row('release').filter({ hasText: 'pending' }).waitFor();
          await row('release').getByRole('button', { name: 'Approve', exact: true }).click();
          await dialog.getByLabel('Reason', { exact: true }).fill('Release train, agreed');
          await ui.button('Approve request').click();
          await dialog.waitFor({ state: 'detached' });
          await page.getByRole('status').filter({ hasText: 'Approved release' }).waitFor();
          await page.getByLabel('Status', { exact: true }).selectOption('approved');
          await row('release').filter({ hasText: 'approved' }).waitFor();
          // The approver never collects: the secret is the requester's alone.
          await expect(
            row('release').getByRole('button', { name: 'Collect' }).count(),
          ).resolves.toBe(0);
          await ui.signOut();
        });

        const secret = await ui.step('request-collect', async () => {
          await ui.signIn(memberToken);
          await ui.go('Requests', /^requests$/i);
          await page.getByLabel('Status', { exact: true }).selectOption('approved');
          await row('release').getByRole('button', { name: 'Collect', exact: true }).click();
          const field = page.getByLabel('Secret', { exact: true });
          await field.waitFor();
          await page.getByText('shown only once').waitFor();
          const value = await field.inputValue();
          expect(value).toMatch(/^lk_/);
          await page.getByLabel('Status', { exact: true }).selectOption('collected');
          await row('release').filter({ hasText: 'collected' }).waitFor();
          await ui.button('Done').click();
          await field.waitFor({ state: 'detached' });
          await page.reload();
          await page.getByLabel('Status', { exact: true }).selectOption('collected');
          await row('release').waitFor();
          await expect(page.getByLabel('Secret', { exact: true }).count()).resolves.toBe(0);
          await ui.signOut();
          return value;
        });
        const me = await consoleApp.client.request<Envelope<{ token: { scopes: string[] } }>>(
          'GET',
          '/api/v1/me',
          { headers: scoped(secret, owner.businessId) },
        );
        expect(me.status).toBe(200);
        expect(me.body.data.token.scopes).toEqual(['deploy:prod']);
        const decided = await api<{ items: { name: string; decision_reason: string | null }[] }>(
          'GET',
          '/api/v1/token-requests?status=collected',
        );
        expect(decided.body.data.items).toContainEqual(
          expect.objectContaining({ name: 'release', decision_reason: 'Release train, agreed' }),
        );
      },
      TIMEOUT_MS,
    );

    it(
      'an owner approving their own request sees SELF_APPROVAL, and the request stays pending',
      async () => {
        const { ui, owner } = consoleApp;
        const asked = await api<{ id: string }>('POST', '/api/v1/token-requests', {
          name: 'owner-deploy',
          scopes: ['deploy:prod'],
          expires_in_days: 5,
          justification: 'My own deploys',
        });
        expect(asked.status).toBe(201);
        await ui.step('request-self-approval', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Requests', /^requests$/i);
          await row('owner-deploy').getByRole('button', { name: 'Approve', exact: true }).click();
          await ui.button('Approve request').click();
          // The refusal is shown in the dialog, which stays open on it.
          await ui.page
            .getByRole('dialog')
            .getByRole('alert')
            .filter({ hasText: 'SELF_APPROVAL' })
            .waitFor();
          await ui.button('Cancel').click();
          await row('owner-deploy').filter({ hasText: 'pending' }).waitFor();
          await ui.signOut();
        });
        const still = await api<{ status: string }>(
          'GET',
          `/api/v1/token-requests/${asked.body.data.id}`,
        );
        expect(still.body.data.status).toBe('pending');
      },
      TIMEOUT_MS,
    );

    it(
      'an owner denies a request with a reason, and a member withdraws their own pending one',
      async () => {
        const { ui, owner } = consoleApp;
        const page = ui.page;
        const dialog = page.getByRole('dialog');
        const email = `asker-${Date.now()}@console.test`;
        const added = await api<Added>('POST', '/api/v1/members', { email, role: 'member' });
        expect(added.status).toBe(201);
        const memberToken = added.body.data.first_token.token;
        for (const name of ['to-deny', 'to-withdraw']) {
          const body = { name, scopes: ['deploy:prod'], justification: 'For the walk' };
          const res = await api('POST', '/api/v1/token-requests', body, memberToken);
          expect(res.status).toBe(201);
        }
        await ui.step('request-deny', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Requests', /^requests$/i);
          await row('to-deny').getByRole('button', { name: 'Deny', exact: true }).click();
          await dialog.getByLabel('Reason', { exact: true }).fill('Use the deploy machine');
          await ui.button('Deny request').click();
          await dialog.waitFor({ state: 'detached' });
          await page.getByRole('status').filter({ hasText: 'Denied the request' }).waitFor();
          await page.getByLabel('Status', { exact: true }).selectOption('denied');
          await row('to-deny').filter({ hasText: 'denied' }).waitFor();
          await ui.signOut();
        });
        await ui.step('request-withdraw', async () => {
          await ui.signIn(memberToken);
          await ui.go('Requests', /^requests$/i);
          await row('to-withdraw').getByRole('button', { name: 'Withdraw', exact: true }).click();
          await page.getByRole('status').filter({ hasText: 'Withdrew the request' }).waitFor();
          await page.getByLabel('Status', { exact: true }).selectOption('withdrawn');
          await row('to-withdraw').filter({ hasText: 'withdrawn' }).waitFor();
          await ui.signOut();
        });
      },
      TIMEOUT_MS,
    );
  });
}

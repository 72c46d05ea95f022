import { hasChromium } from '../../harness/browser/swagger-ui';
import { scoped } from '../../harness/latchkey-client';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS } from '../console-app';
import { useConsoleSsoApp } from '../console-sso-app';
import { walkViews } from '../console-walk';

if (hasChromium()) {
  /**
   * The Sign-in screen, in Chromium against the built app with a real identity provider: owners
   * and admins read how the business's people sign in to the console, owners change it, and no
   * one is offered a setting that would shut them out; one forced past the form is refused by
   * the server, in words. Checked with axe at 1280 and 390 px.
   */
  describe('the console sign-in setting screen, in Chromium', () => {
    const c = useConsoleSsoApp('console-sign-in-settings');
    const heading = /^sign-in$/i;
    const onScreen = () => c.ui.page.getByRole('heading', { level: 1, name: heading }).waitFor();
    const tokenSignIn = () =>
      c.ui.page.getByLabel('People may sign in to the console with a token', { exact: true });
    const consoleCall = (token: string) =>
      c.client.request('GET', '/api/v1/whoami', {
        headers: { ...scoped(token, c.owner.businessId), 'x-latchkey-client': 'console' },
      });
    const setting = async () =>
      (
        await c.client.request<{ data: { token_sign_in: boolean } }>(
          'GET',
          '/api/v1/sso/settings',
          { headers: scoped(c.owner.ownerToken, c.owner.businessId) },
        )
      ).body.data.token_sign_in;

    beforeAll(async () => {
      await c.rule(c.owner, 'owners', 'owner');
    }, TIMEOUT_MS);

    // Whatever a failed test left behind, the next one starts with token sign-in on.
    afterEach(async () => {
      const res = await c.client.request('PUT', '/api/v1/sso/settings', {
        headers: scoped(c.app.platformToken!, c.owner.businessId),
        body: { token_sign_in: true },
      });
      expect(res.status).toBe(200);
    });

    it(
      'offers an owner signed in with a token no way to lock themselves out, says why, and shows the refusal of one forced through',
      async () => {
        const { ui, page } = c.browser;
        await ui.signIn(c.owner.ownerToken);
        await ui.go('Sign-in', heading);
        await page.getByText('with a token or with single sign-on.').waitFor();
        expect([await tokenSignIn().isChecked(), await tokenSignIn().isDisabled()]).toEqual([
          true,
          true,
        ]);
        const why = page.locator(`#${await tokenSignIn().getAttribute('aria-describedby')}`);
        expect(await why.textContent()).toMatch(/signed in with a token/);
        const failures = await walkViews(ui, 'owner', [
          {
            name: 'sign-in settings',
            show: () => ui.open('/admin/sign-in-settings').then(onScreen),
          },
        ]);
        expect(failures).toEqual([]);
        // Past the form, as a person with the browser's tools would go: the server says no.
        await tokenSignIn().evaluate((el) => el.removeAttribute('disabled'));
        await tokenSignIn().uncheck();
        await ui.button('Save').click();
        const alert = page.getByRole('alert').filter({ hasText: 'SSO_LOCKOUT' });
        await alert.waitFor();
        expect(await alert.textContent()).toContain('lock you out of the console');
        expect(await setting()).toBe(true);
        expect((await consoleCall(c.owner.ownerToken)).status).toBe(200);
      },
      TIMEOUT_MS,
    );

    it(
      'lets an owner in an SSO session turn token sign-in off and on again, and the console then refuses their token alone',
      async () => {
        const { ui, page } = c.browser;
        c.person(['owners']);
        await ui.open('/admin/');
        await ui.button('Sign in with SSO').click();
        await ui.button('Sign out').waitFor();
        await ui.go('Sign-in', heading);
        expect(await tokenSignIn().isDisabled()).toBe(false);
        await tokenSignIn().uncheck();
        await ui.button('Save').click();
        await page.getByRole('status').filter({ hasText: 'Token sign-in is off' }).waitFor();
        expect(await setting()).toBe(false);
        expect((await consoleCall(c.owner.ownerToken)).status).toBe(403);
        const failures = await walkViews(ui, 'owner', [
          {
            name: 'sign-in settings, off',
            show: () => ui.open('/admin/sign-in-settings').then(onScreen),
          },
        ]);
        expect(failures).toEqual([]);
        await tokenSignIn().check();
        await ui.button('Save').click();
        await page.getByRole('status').filter({ hasText: 'Token sign-in is on' }).waitFor();
        expect(await setting()).toBe(true);
        expect((await consoleCall(c.owner.ownerToken)).status).toBe(200);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'shows an admin the setting and no way to change it, and a member no Sign-in at all',
      async () => {
        const { ui, page } = c.browser;
        const add = (email: string, role: string) =>
          c.client.request<{ data: { first_token: { token: string } } }>(
            'POST',
            '/api/v1/members',
            {
              headers: scoped(c.owner.ownerToken, c.owner.businessId),
              body: { email, role },
            },
          );
        const admin = (await add(`admin-${Date.now()}@console.test`, 'admin')).body.data;
        await ui.signIn(admin.first_token.token);
        await ui.go('Sign-in', heading);
        await page.getByText('Only an owner can change how people sign in.').waitFor();
        expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(0);
        const failures = await walkViews(ui, 'owner', [
          {
            name: 'sign-in settings, admin',
            show: () => ui.open('/admin/sign-in-settings').then(onScreen),
          },
        ]);
        expect(failures).toEqual([]);
        await ui.signOut();
        const member = (await add(`member-${Date.now()}@console.test`, 'member')).body.data;
        await ui.signIn(member.first_token.token);
        expect(await ui.nav('Sign-in').count()).toBe(0);
        await ui.open('/admin/sign-in-settings');
        await page.getByRole('alert').filter({ hasText: 'INSUFFICIENT_ROLE' }).waitFor();
      },
      TIMEOUT_MS,
    );
  });
}

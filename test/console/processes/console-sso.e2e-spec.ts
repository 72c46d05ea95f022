import { hasChromium } from '../../harness/browser/swagger-ui';
import { scoped } from '../../harness/latchkey-client';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS } from '../console-app';
import { useConsoleSsoApp } from '../console-sso-app';
import { axeViolations, walkViews } from '../console-walk';
import { lastReading } from '../../harness/patience';

if (hasChromium()) {
  /**
   * Console sign-in through a real identity provider (oidc-provider, started here), in headless
   * Chromium against the built app: the whole round trip by the browser's own redirects, the
   * session it makes, a sign-out that revokes it, a refusal the person can read, and the choice
   * of a business, by name, once the provider answered for a person whose groups reach several; and an
   * invitation's emailed link, opened in the console, naming who invites to which business,
   * accepted by the invitee alone, who is then shown the token once and the next step.
   */
  describe('console sign-in with SSO, and invitations, in Chromium', () => {
    const c = useConsoleSsoApp('console-sso');
    /** The owner as the console names them, and the business by name. */
    let ownerEmail: string;
    let businessName: string;

    beforeAll(async () => {
      await c.rule(c.owner, 'eng', 'admin');
      const who = await c.client.request<{
        data: { identity: { email: string }; businesses: { name: string }[] };
      }>('GET', '/api/v1/whoami', { headers: { authorization: `Bearer ${c.owner.ownerToken}` } });
      ownerEmail = who.body.data.identity.email;
      businessName = who.body.data.businesses[0].name;
    }, TIMEOUT_MS);

    it(
      'signs a person in by the identity provider, at the role their group gives, and signing out revokes the session',
      async () => {
        const { ui, page } = c.browser;
        const email = c.person(['eng']);
        await ui.open('/admin/');
        await ui.button('Sign in with SSO').click();
        await ui.button('Sign out').waitFor();
        expect(new URL(page.url()).pathname).toMatch(/^\/admin\/?$/);
        expect(new URL(page.url()).hash).toBe('');
        const token = await page.evaluate<string>("sessionStorage.getItem('latchkey.token')");
        const me = await c.client.request<{ data: object }>('GET', '/api/v1/me', {
          headers: scoped(token, c.owner.businessId),
        });
        expect(me.status).toBe(200);
        expect(me.body.data).toMatchObject({ identity: { email }, role: 'admin' });
        await ui.signOut();
        // The revocation is sent as the console signs out: wait for it, boundedly.
        const status = async () => (await c.client.me(token, c.owner.businessId)).status;
        expect(await lastReading(status, (code) => code === 401, 100)).toBe(401);
      },
      TIMEOUT_MS,
    );

    it(
      'says why, in words and by code, when none of the groups has a role here',
      async () => {
        const { ui, page } = c.browser;
        c.person(['sales']);
        await ui.open('/admin/');
        await ui.button('Sign in with SSO').click();
        const alert = page.getByRole('alert').filter({ hasText: 'Single sign-on was refused' });
        await alert.waitFor();
        expect(await alert.textContent()).toContain('SSO_NO_ROLE');
        expect(await alert.textContent()).toContain('none of your groups has a role');
        expect(await axeViolations(ui)).toEqual([]);
      },
      TIMEOUT_MS,
    );

    it(
      'asks a person whose groups reach several businesses to choose one, by name, after the provider answers, and signs them in there',
      async () => {
        const { ui, page } = c.browser;
        const second = await c.client.createBusiness(c.app.platformToken!, 'second');
        const paused = await c.client.createBusiness(c.app.platformToken!, 'paused');
        const nameOf = async (b: typeof second) =>
          (
            await c.client.request<{ data: { businesses: { name: string }[] } }>(
              'GET',
              '/api/v1/whoami',
              { headers: { authorization: `Bearer ${b.ownerToken}` } },
            )
          ).body.data.businesses[0].name;
        const [secondName, pausedName] = [await nameOf(second), await nameOf(paused)];
        await c.rule(c.owner, 'multi', 'admin');
        await c.rule(second, 'multi', 'member');
        await c.rule(paused, 'multi', 'member');
        const suspended = await c.client.request(
          'POST',
          `/platform/v1/businesses/${paused.businessId}/suspend`,
          { headers: { authorization: `Bearer ${c.app.platformToken!}` } },
        );
        expect(suspended.status).toBe(200);
        const email = c.person(['multi']);
        await ui.open('/admin/');
        // Nothing is asked before the provider answers.
        expect(await page.getByLabel(/business/i).count()).toBe(0);
        await ui.button('Sign in with SSO').click();
        await page.getByRole('heading', { level: 1, name: 'Choose a business' }).waitFor();
        const list = page.getByRole('list', { name: 'Businesses' });
        await list.getByRole('button', { name: `Sign in to ${secondName}` }).waitFor();
        expect(new URL(page.url()).hash).toBe('');
        const text = await list.textContent();
        expect(text).toContain(`${businessName} as admin`);
        expect(text).toContain(`${pausedName} (suspended`);
        expect(await list.getByRole('button').count()).toBe(2);
        const shown = { name: 'choose a business', show: () => list.waitFor() };
        expect(await walkViews(ui, 'signed out', [shown])).toEqual([]);
        await list.getByRole('button', { name: `Sign in to ${secondName}` }).click();
        await ui.button('Sign out').waitFor();
        const token = await page.evaluate<string>("sessionStorage.getItem('latchkey.token')");
        const me = await c.client.request<{ data: object }>('GET', '/api/v1/me', {
          headers: scoped(token, second.businessId),
        });
        expect(me.body.data).toMatchObject({ identity: { email }, role: 'member' });
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      "opens an invitation's link naming who invites to which business, accepts it once, and then shows the first token and the next step alone",
      async () => {
        const { ui, page } = c.browser;
        const email = `invitee-${Date.now()}@console.test`;
        const invited = await c.client.request('POST', '/api/v1/invitations', {
          headers: scoped(c.owner.ownerToken, c.owner.businessId),
          body: { email, role: 'member' },
        });
        expect(invited.status).toBe(201);
        const { link } = await c.sink.lastLinkTo(email);
        expect(link.startsWith(`${c.app.url}/admin/#/invitation?token=`)).toBe(true);
        await page.goto(link);
        const invitation = page.getByRole('region', { name: 'The invitation' });
        await invitation.waitFor();
        expect(await invitation.textContent()).toContain(
          `${ownerEmail} invites you to join ${businessName} as member.`,
        );
        expect(await invitation.textContent()).toContain(email);
        // The invitation is the page: no sign-in form to mistake for where it goes.
        expect(await page.getByLabel('Token', { exact: true }).count()).toBe(0);
        expect(await ui.button('Sign in with SSO').count()).toBe(0);
        const stay = { name: 'invitation', show: () => invitation.waitFor() };
        expect(await walkViews(ui, 'signed out', [stay])).toEqual([]);

        await ui.button('Accept invitation').click();
        await page.getByRole('heading', { level: 1, name: `You joined ${businessName}` }).waitFor();
        const secret = await page.getByLabel('Secret', { exact: true }).inputValue();
        expect(secret).toMatch(/^lk_/);
        expect(new URL(page.url()).hash).toBe('');
        await page.getByRole('heading', { name: 'Next' }).waitFor();
        expect(await page.getByLabel('Token', { exact: true }).count()).toBe(0);
        expect(await ui.button('Sign in with SSO').count()).toBe(0);
        expect(await ui.button('Accept invitation').count()).toBe(0);
        const shown = { name: 'first token', show: () => page.getByText('Next').waitFor() };
        expect(await walkViews(ui, 'signed out', [shown])).toEqual([]);

        await ui.button('Sign in with it').click();
        await ui.button('Sign out').waitFor();
        const me = await c.client.request<{ data: object }>('GET', '/api/v1/me', {
          headers: scoped(secret, c.owner.businessId),
        });
        expect(me.body.data).toMatchObject({ identity: { email }, role: 'member' });
        await ui.signOut();
        // The link worked once: opened again (a new page load), it says so, and offers nothing.
        await page.goto('about:blank');
        await page.goto(link);
        await page.getByText('INVITATION_ALREADY_ACCEPTED').waitFor();
        expect(await ui.button('Accept invitation').count()).toBe(0);
        await ui.button('Sign in another way').click();
        await page.getByLabel('Token', { exact: true }).waitFor();
        expect(new URL(page.url()).hash).toBe('');
      },
      TIMEOUT_MS,
    );
  });
}

import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import * as rules from '../../../console/src/features/streams/stream-rules';
import { PUSH_METHOD } from '../../../src/ssf/dto/ssf-stream.dto';
import {
  CREDENTIAL_CHANGE,
  EVENTS_SUPPORTED,
  VERIFICATION,
} from '../../../src/ssf/events/caep-events';
import { SSF_SCOPE } from '../../../src/ssf/http/ssf-streams.controller';
import { MAX_STREAMS } from '../../../src/ssf/streams/ssf-streams.service';
import type { ConsoleBrowser, ConsoleUi } from '../../harness/browser/console-ui';
import { hasChromium } from '../../harness/browser/swagger-ui';
import { BusinessSetup, LatchkeyClient, scoped } from '../../harness/latchkey-client';
import type { WebhookReceiver } from '../../harness/app/webhook-receiver';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS, useConsoleApp } from '../console-app';
import { walkViews } from '../console-walk';

const STREAMS = '/ssf/v1/streams';

interface StreamConfig {
  stream_id: string;
  iss: string;
  aud: string;
  events_supported: string[];
  description: string;
}

describe('the Streams screen’s rules', () => {
  it('are the transmitter’s own: its scope, its stream limit, its delivery method and events', () => {
    expect(rules.SSF_SCOPE).toBe(SSF_SCOPE);
    expect(rules.MAX_STREAMS).toBe(MAX_STREAMS);
    expect(rules.PUSH_METHOD).toBe(PUSH_METHOD);
    expect(rules.STREAM_EVENTS.map((e) => e.uri)).toEqual(EVENTS_SUPPORTED);
    expect(rules.CREDENTIAL_CHANGE).toBe(CREDENTIAL_CHANGE);
  });
});

if (hasChromium()) {
  /**
   * The Streams screen (Shared Signals) in headless Chromium against the built app: a stream
   * made in a dialog, its verification event received as a signed SET, pause, enable, disable
   * and delete, who is offered the screen, and its accessibility at both widths. Every test
   * also fails on any Content Security Policy violation.
   */
  describe('the Streams screen in Chromium', () => {
    const consoleApp = useConsoleApp('console-streams');
    let browser: ConsoleBrowser | undefined;
    let client: LatchkeyClient;
    let owner: BusinessSetup;
    let ui: ConsoleUi;
    let receiver: WebhookReceiver;
    beforeAll(() => ({ browser, ui, client, owner, receiver } = consoleApp));

    const step = <T>(name: string, fn: () => Promise<T>) => ui.step(name, fn);

    /** The stream API as a standard receiver calls it: the owner's token alone. */
    const ssf = <T>(method: string, path: string, body?: object) =>
      client.request<T>(method, path, {
        headers: { authorization: `Bearer ${owner.ownerToken}` },
        ...(body ? { body } : {}),
      });

    async function createStream(description: string, path: string): Promise<StreamConfig> {
      const res = await ssf<StreamConfig>('POST', STREAMS, {
        delivery: { method: PUSH_METHOD, endpoint_url: receiver.url.replace('/hook', path) },
        events_requested: [CREDENTIAL_CHANGE],
        description,
      });
      expect(res.status).toBe(201);
      return res.body;
    }

    const statusOf = async (id: string) =>
      (await ssf<{ status: string; reason?: string }>('GET', `${STREAMS}/status?stream_id=${id}`))
        .body;

    const rowOf = (text: string) => browser!.page.getByRole('row').filter({ hasText: text });

    it(
      'an owner creates a stream; its receiver gets the verification event asked for, signed, with the Authorization header given, which the console never shows again; a second ask at once is answered kindly',
      async () => {
        const page = browser!.page;
        const credential = `Bearer receiver-credential-${Date.now()}`;
        const endpoint = receiver.url.replace('/hook', '/made-in-console');
        await step('streams-create', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Streams', /^streams$/i);
          await ui.button('New stream').click();
          const dialog = page.getByRole('dialog');
          await dialog.getByLabel('Endpoint URL', { exact: true }).fill(endpoint);
          const header = dialog.getByLabel('Authorization header (optional)', { exact: true });
          await expect(header.getAttribute('type')).resolves.toBe('password');
          await header.fill(credential);
          await expect(dialog.getByLabel(/^Credential change/).isChecked()).resolves.toBe(true);
          await dialog.getByLabel('Description', { exact: true }).fill('console-gateway');
          await ui.button('Create stream').click();
          await dialog.waitFor({ state: 'detached' });
          await rowOf('console-gateway').waitFor();
        });
        const row = rowOf('console-gateway');
        await expect(row.innerText()).resolves.toMatch(/enabled[\s\S]*Credential change/);
        await expect(page.content()).resolves.not.toContain(credential);
        const listed = await ssf<StreamConfig[]>('GET', STREAMS);
        const made = listed.body.find((s) => s.description === 'console-gateway')!;
        expect(made.events_supported).toEqual(rules.STREAM_EVENTS.map((e) => e.uri));
        expect(JSON.stringify(listed.body)).not.toContain(credential);

        receiver.received.length = 0;
        await step('streams-verify', async () => {
          await row.getByRole('button', { name: 'Send verification event', exact: true }).click();
          await page.getByRole('status').filter({ hasText: 'Asked for a verification' }).waitFor();
        });
        const here = (r: { url: string }) => r.url === '/made-in-console';
        const pushed = (await receiver.waitFor((all) => all.some(here))).find(here)!;
        expect(pushed.headers.authorization).toBe(credential);
        expect(pushed.headers['content-type']).toBe('application/secevent+jwt');
        const keys = await client.request<JSONWebKeySet>('GET', '/.well-known/jwks.json');
        const { payload } = await jwtVerify(pushed.body, createLocalJWKSet(keys.body), {
          issuer: made.iss,
          audience: made.aud,
          typ: 'secevent+jwt',
        });
        expect(Object.keys(payload.events as object)).toEqual([VERIFICATION]);

        // Within min_verification_interval: the API's 429 is read as a notice, not an error.
        await step('streams-verify-too-soon', async () => {
          await row.getByRole('button', { name: 'Send verification event', exact: true }).click();
          await page
            .getByRole('status')
            .filter({ hasText: /Try again in \d+ seconds/ })
            .waitFor();
        });
        await expect(page.getByRole('alert').count()).resolves.toBe(0);
        await ssf('DELETE', `${STREAMS}?stream_id=${made.stream_id}`);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'pausing and disabling ask why, and the stream shows the status and reason the API holds; enable resumes it; delete asks first',
      async () => {
        const page = browser!.page;
        const made = await createStream('lifecycle-stream', '/lifecycle');
        const row = rowOf('lifecycle-stream');
        const button = (name: string) => row.getByRole('button', { name, exact: true });
        /** Presses `action` on the row, gives the reason, and confirms with `confirm`. */
        const stop = async (action: string, reason: string, confirm: string) => {
          await button(action).click();
          const dialog = page.getByRole('dialog');
          await dialog.getByLabel('Reason', { exact: true }).fill(reason);
          await dialog.getByRole('button', { name: confirm, exact: true }).click();
          await dialog.waitFor({ state: 'detached' });
        };
        await step('streams-pause', async () => {
          await ui.signIn(owner.ownerToken);
          await ui.go('Streams', /^streams$/i);
          await stop('Pause', 'receiver maintenance', 'Pause stream');
          await row.getByText('paused', { exact: true }).waitFor();
        });
        await expect(row.getByText('receiver maintenance').count()).resolves.toBe(1);
        await expect(statusOf(made.stream_id)).resolves.toEqual({
          stream_id: made.stream_id,
          status: 'paused',
          reason: 'receiver maintenance',
        });
        await expect(button('Pause').count()).resolves.toBe(0);

        await step('streams-enable', async () => {
          await button('Enable').click();
          await row.getByText('enabled', { exact: true }).waitFor();
        });
        await expect(statusOf(made.stream_id)).resolves.toEqual({
          stream_id: made.stream_id,
          status: 'enabled',
        });

        await step('streams-disable', () => stop('Disable', 'retired receiver', 'Disable stream'));
        await row.getByText('disabled', { exact: true }).waitFor();
        await expect(statusOf(made.stream_id)).resolves.toMatchObject({
          status: 'disabled',
          reason: 'retired receiver',
        });
        // What the API refuses a disabled stream (409 STREAM_DISABLED) is not offered.
        for (const name of ['Send verification event', 'Pause', 'Disable']) {
          await expect(button(name).count()).resolves.toBe(0);
        }

        await step('streams-delete', async () => {
          await button('Delete').click();
          const dialog = page.getByRole('dialog');
          await dialog.getByText(/cannot be undone/).waitFor();
          await dialog.getByRole('button', { name: 'Delete stream', exact: true }).click();
          await row.waitFor({ state: 'detached' });
        });
        const left = await ssf<StreamConfig[]>('GET', STREAMS);
        expect(left.body.map((s) => s.stream_id)).not.toContain(made.stream_id);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'the screen and its dialogs pass axe, keep every action in view and reached by Tab, and never scroll sideways on a phone',
      async () => {
        const page = browser!.page;
        const made = await createStream('walked-stream', '/walked');
        const streams = async () => {
          await ui.open('/admin/streams');
          await page.getByRole('heading', { level: 1, name: /^streams$/i }).waitFor();
          await rowOf('walked-stream').waitFor();
        };
        const dialogOf = (button: string) => async () => {
          await streams();
          await rowOf('walked-stream').getByRole('button', { name: button, exact: true }).click();
          await page.getByRole('dialog').waitFor();
        };
        await ui.signIn(owner.ownerToken);
        const failures = await walkViews(ui, 'owner', [
          { name: 'streams', list: true, show: streams },
          {
            name: 'the new-stream dialog',
            show: async () => {
              await streams();
              await ui.button('New stream').click();
              await page.getByRole('dialog').waitFor();
            },
          },
          { name: 'the pause dialog', show: dialogOf('Pause') },
          { name: 'the delete-stream confirmation', show: dialogOf('Delete') },
        ]);
        expect(failures).toEqual([]);
        await page.keyboard.press('Escape');
        await ssf('DELETE', `${STREAMS}?stream_id=${made.stream_id}`);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'a member, and an owner whose token does not allow ssf:manage, are offered no Streams; its address shows the API’s refusal',
      async () => {
        const added = await client.request<{ data: { first_token: { token: string } } }>(
          'POST',
          '/api/v1/members',
          {
            headers: scoped(owner.ownerToken, owner.businessId),
            body: { email: `streams-member-${Date.now()}@console.test`, role: 'member' },
          },
        );
        expect(added.status).toBe(201);
        const narrow = await client.createToken(owner, 'no-ssf', { scopes: ['webhooks:read'] });
        const allowed = await client.createToken(owner, 'ssf-only', { scopes: ['ssf:manage'] });
        const table = [
          {
            who: 'a member',
            token: added.body.data.first_token.token,
            refusal: 'INSUFFICIENT_ROLE',
          },
          { who: 'an owner without the scope', token: narrow.token, refusal: 'INSUFFICIENT_SCOPE' },
          { who: 'an owner with ssf:manage alone', token: allowed.token, refusal: null },
        ];
        for (const { who, token, refusal } of table) {
          await step(`streams-offered-to-${who.replace(/\W+/g, '-')}`, async () => {
            await ui.signIn(token);
            await expect(ui.nav('Streams').count()).resolves.toBe(refusal ? 0 : 1);
            await ui.open('/admin/streams');
            if (refusal === null) {
              await browser!.page.getByRole('heading', { level: 1, name: /^streams$/i }).waitFor();
            } else {
              await ui.alert().waitFor();
              await expect(ui.alert().innerText()).resolves.toMatch(
                new RegExp(`403[\\s\\S]*${refusal}`),
              );
            }
            await ui.signOut();
          });
        }
      },
      TIMEOUT_MS,
    );
  });
} else {
  describe('the Streams screen in Chromium', () => {
    it.todo('runs when /usr/bin/chromium is installed (bash .ci/run installs it)');
  });
}

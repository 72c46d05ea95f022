/**
 * Refreshes the admin console screenshots in docs/console/ (`npm run docs:console-screenshots`).
 * It starts the built app on a throwaway SQLite database, seeds a small business through the API
 * (tokens, members, a machine, a webhook endpoint with deliveries to a receiver on 127.0.0.1,
 * token usage), and walks /admin in headless Chromium with the steps test/console/processes/console.e2e-spec.ts
 * checks. Each screen must show its heading, finish loading and show no error box, so a picture
 * never shows a failure. Every secret on screen belongs to the throwaway instance.
 *
 *   ts-node --transpile-only scripts/console-screenshots.ts [out-dir]
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../test/harness/app-process';
import { ConsoleBrowser, ConsoleUi, openConsole, PHONE } from '../test/harness/browser/console-ui';
import { LatchkeyClient, scoped } from '../test/harness/latchkey-client';
import { CHROMIUM_PATH, hasChromium, VIEWPORT } from '../test/harness/browser/swagger-ui';

interface Envelope<T> {
  data: T;
}

/** What the screens need to reach: the ids of the token with usage and of the webhook. */
interface Acme {
  ownerToken: string;
  billingTokenId: string;
  webhookId: string;
}

/** A webhook receiver on 127.0.0.1 that answers every delivery 204. */
async function startReceiver(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/latchkey`,
    server,
  };
}

/** Polls until `check` answers true, or fails saying what it waited for. */
async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The seeding calls, each of which must answer its expected status. */
function apiOf(client: LatchkeyClient) {
  return async <T>(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: object,
    status = method === 'POST' ? 201 : 200,
  ): Promise<T> => {
    const res = await client.request<Envelope<T>>(method, path, { headers, body });
    if (res.status !== status) {
      throw new Error(
        `${method} ${path}: ${res.status}, expected ${status}: ${JSON.stringify(res.body)}`,
      );
    }
    return res.body.data;
  };
}

/**
 * A believable tenant: "acme" with an owner, an admin and a member, a CI machine, a webhook
 * endpoint, tokens in every state, traffic on one of them, and a second business beside it.
 */
async function seed(client: LatchkeyClient, platformToken: string, hookUrl: string): Promise<Acme> {
  const api = apiOf(client);
  const platform = { authorization: `Bearer ${platformToken}` };
  type Created = { business: { id: string }; first_token: { token: string } };
  const acme = await api<Created>('POST', '/platform/v1/businesses', platform, {
    name: 'acme',
    owner_email: 'ada@acme.test',
  });
  const globex = await api<Created>('POST', '/platform/v1/businesses', platform, {
    name: 'globex',
    owner_email: 'hank@globex.test',
  });
  await api('POST', '/platform/v1/admins', platform, { email: 'ops@latchkey.test' });

  const businessId = acme.business.id;
  const ownerToken = acme.first_token.token;
  const owner = scoped(ownerToken, businessId);
  const hook = await api<{ id: string }>('POST', '/api/v1/webhooks', owner, {
    url: hookUrl,
    event_types: ['token.created', 'token.revoked', 'member.added', 'token.leaked'],
    description: 'Token changes to the security channel',
  });
  type Added = { first_token: { token: string } };
  const grace = await api<Added>('POST', '/api/v1/members', owner, {
    email: 'grace@acme.test',
    role: 'admin',
  });
  const linus = await api<Added>('POST', '/api/v1/members', owner, {
    email: 'linus@acme.test',
    role: 'member',
  });
  // People make their own tokens, with their first token.
  await api('POST', '/api/v1/tokens', scoped(grace.first_token.token, businessId), {
    name: 'grace-cli',
    scopes: ['audit:read'],
  });
  await api('POST', '/api/v1/tokens', scoped(linus.first_token.token, businessId), {
    name: 'linus-laptop',
  });
  const ci = await api<{ id: string }>('POST', '/api/v1/machine-identities', owner, {
    name: 'ci-runner',
    role: 'member',
  });

  type Issued = { id: string; token: string };
  const billing = await api<Issued>('POST', '/api/v1/tokens', owner, {
    name: 'billing-api',
    scopes: ['billing:read', 'billing:write'],
    allowed_cidrs: ['10.20.0.0/16', '127.0.0.1/32'],
    rate_limit_per_minute: 600,
  });
  // The owner's first token lives 7 days, and a token never outlives its maker: a platform
  // admin's token has no expiry, so it issues the machine's longer-lived ones.
  const asPlatform = scoped(platformToken, businessId);
  const deploy = await api<Issued>('POST', '/api/v1/tokens', asPlatform, {
    name: 'deploy-bot',
    scopes: ['deploy:*'],
    expires_in_days: 30,
    identity_id: ci.id,
  });
  const laptop = await api<Issued>('POST', '/api/v1/tokens', owner, { name: 'old-laptop' });
  await api('POST', `/api/v1/tokens/${laptop.id}/revoke`, owner, {
    reason: 'laptop lost on a train',
  });
  // No expiry, no networks, every scope: listed as risky.
  await api('POST', '/api/v1/tokens', asPlatform, {
    name: 'legacy-sync',
    identity_id: ci.id,
  });
  await api('POST', '/api/v1/tokens', scoped(globex.first_token.token, globex.business.id), {
    name: 'warehouse-import',
    expires_in_days: 5,
  });
  await api('POST', `/api/v1/webhooks/${hook.id}/test`, owner);

  for (let i = 0; i < 40; i++) await client.me(billing.token, businessId);
  for (let i = 0; i < 12; i++) await client.me(deploy.token, businessId);
  // The lost laptop's token, still tried: the analytics screen's refusals.
  for (let i = 0; i < 6; i++) await client.me(laptop.token, businessId);

  // The waits below ask as a platform admin in the business: a platform token's calls count in
  // no business's usage or analytics, so the pictures show the business's own traffic.
  const watching = { ...platform, 'x-business-id': businessId };
  // Usage is flushed every few seconds, deliveries go out on the next poll.
  await until('token usage', async () => {
    const usage = await api<{ hours: { requests: number }[] }>(
      'GET',
      `/api/v1/tokens/${billing.id}/usage`,
      watching,
    );
    return usage.hours.reduce((n, h) => n + h.requests, 0) >= 40;
  });
  // Hour buckets are rolled up from minutes once a minute: the charts of a day show them then.
  await until(
    "the hour's verification counts",
    async () => {
      const counts = await api<{ buckets: { counts: { count: number }[] }[] }>(
        'GET',
        `/api/v1/analytics/verifications?granularity=hour&token_id=${billing.id}`,
        watching,
      );
      return counts.buckets.flatMap((b) => b.counts).reduce((n, c) => n + c.count, 0) >= 40;
    },
    120_000,
  );
  await until('the webhook.test delivery', async () => {
    const page = await api<{ items: { event_type: string; status_code: number | null }[] }>(
      'GET',
      `/api/v1/webhooks/${hook.id}/deliveries`,
      watching,
    );
    return page.items.some((a) => a.event_type === 'webhook.test' && a.status_code === 204);
  });
  await until('a signed checkpoint', async () => {
    const res = await client.request('GET', '/api/v1/audit-events/checkpoint', { headers: owner });
    return res.status === 200;
  });
  return { ownerToken, billingTokenId: billing.id, webhookId: hook.id };
}

/**
 * Photographs screens: each waits for its heading and for loading to end, and shows no error.
 * A shot is of the whole page, or of the window where the page would mislead or repeat: a modal
 * dialog (its backdrop covers the window only), a card half-way down a page shown whole before.
 */
class Photographer {
  constructor(
    private readonly ui: ConsoleUi,
    private readonly out: string,
    /** The files written, in order. */
    readonly taken: string[],
  ) {}

  async shot(file: string, heading: RegExp, whole: 'page' | 'window' = 'page'): Promise<void> {
    const page = this.ui.page;
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await this.ui.settled();
    if ((await page.getByRole('alert').count()) > 0) {
      throw new Error(`${file}: the screen shows an error:\n${await this.ui.alert().innerText()}`);
    }
    const path = join(this.out, file);
    if (whole === 'page') await this.ui.screenshot(path);
    else await page.screenshot({ path });
    this.taken.push(file);
  }

  /** Opens a path and photographs it. */
  async screen(file: string, path: string, heading: RegExp, whole?: 'page' | 'window') {
    await this.ui.open(path);
    await this.shot(file, heading, whole);
  }
}

async function main(): Promise<void> {
  if (!hasChromium()) throw new Error(`${CHROMIUM_PATH} is missing: apt-get install chromium`);
  const out = resolve(process.argv[2] ?? 'docs/console');
  mkdirSync(out, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-console-screenshots-'));
  const receiver = await startReceiver();
  let app: AppProcess | undefined;
  let browser: ConsoleBrowser | undefined;
  const taken: string[] = [];
  try {
    app = await startAppProcess({
      name: 'console-screenshots',
      env: {
        SQLITE_PATH: join(dir, 'console.sqlite'),
        LOG_LEVEL: 'warn',
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_POLL_MS: '100',
        // A checkpoint soon after seeding, so the Audit log shows one to download.
        AUDIT_CHECKPOINT_EVERY_EVENTS: '10',
        ...RATE_LIMITS_OFF,
      },
    });
    const client = new LatchkeyClient(app.url);
    const acme = await seed(client, app.platformToken!, receiver.url);

    browser = await openConsole(app.url);
    const { page, ui } = browser;
    const camera = new Photographer(ui, out, taken);

    await ui.open();
    await camera.shot('01-sign-in.png', /sign in/i);
    await ui.signIn(acme.ownerToken);
    await camera.screen('02-overview.png', '/admin/', /^overview$/i);
    await camera.screen('03-tokens.png', '/admin/tokens', /^tokens$/i);

    // One box finds a token by name, by prefix, or by its holder's email.
    await page.getByLabel('Search', { exact: true }).fill('linus@');
    await page.getByRole('row').filter({ hasText: 'linus-laptop' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'billing-api' }).waitFor({ state: 'detached' });
    await camera.shot('22-token-search.png', /^tokens$/i, 'window');
    await page.getByLabel('Search', { exact: true }).fill('');

    // Creating opens a dialog; the secret then takes the form's place, shown once.
    await ui.button('New token').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('staging-deploy');
    await dialog.getByLabel('Scopes', { exact: true }).fill('deploy:read');
    await ui.button('Create token').click();
    await page.getByLabel('Secret', { exact: true }).waitFor();
    await camera.shot('04-token-created.png', /^tokens$/i, 'window');
    await ui.button('Done').click();
    await dialog.waitFor({ state: 'detached' });

    await ui.open(`/admin/tokens/${acme.billingTokenId}`);
    await page.getByRole('group', { name: /requests per hour, [1-9]/i }).waitFor();
    await camera.shot('05-token-detail.png', /billing-api/);
    await camera.screen('06-risky-tokens.png', '/admin/tokens/risky', /risky tokens/i);
    await ui.open('/admin/usage');
    await page.getByRole('region', { name: 'Requests per token' }).waitFor();
    await camera.shot('23-usage.png', /^usage$/i);
    await camera.screen('25-analytics.png', '/admin/analytics', /^analytics$/i);
    await camera.screen('07-members.png', '/admin/members', /members/i);
    // What cannot be undone asks first: the last member's Remove, then Cancel.
    await page.getByRole('button', { name: 'Remove', exact: true }).last().click();
    await page.getByRole('dialog').waitFor();
    await camera.shot('21-remove-member.png', /members/i, 'window');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await camera.screen('08-machines.png', '/admin/machines', /machine identities/i);
    await camera.screen('09-webhooks.png', '/admin/webhooks', /webhooks/i);
    await ui.open(`/admin/webhooks/${acme.webhookId}`);
    await page.getByRole('rowheader', { name: 'webhook.test' }).first().waitFor();
    await camera.shot('10-webhook-deliveries.png', /webhook endpoint/i);
    await page.getByRole('button', { name: 'Payload', exact: true }).first().click();
    await page.getByRole('dialog').getByLabel('Payload', { exact: true }).waitFor();
    await camera.shot('24-webhook-payload.png', /webhook endpoint/i, 'window');
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

    await camera.screen('11-audit-log.png', '/admin/audit', /^audit log$/i);
    await page.getByRole('button', { name: 'token.revoked', exact: true }).first().click();
    await page.getByRole('dialog').waitFor();
    await camera.shot('12-audit-event.png', /^audit log$/i, 'window');
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await ui.button('Verify chain').click();
    await page.getByText(/^Chain valid: \d+ events checked/).waitFor();
    // Strings, not functions: scripts compile without the DOM's types.
    await page.evaluate('window.scrollTo(0, document.getElementById("verify").offsetTop - 48)');
    await camera.shot('13-audit-verify.png', /^audit log$/i, 'window');
    await ui.signOut();

    await ui.signIn(app.platformToken!);
    await ui.open('/admin/');
    await page.getByLabel('Business', { exact: true }).waitFor();
    await camera.shot('14-platform-overview.png', /^overview$/i);
    await camera.screen('15-businesses.png', '/admin/platform/businesses', /businesses/i);
    await camera.screen('16-platform-admins.png', '/admin/platform/admins', /platform admins/i);
    await camera.screen('17-all-tokens.png', '/admin/platform/tokens', /all tokens/i);
    // Every chain's events, then the cards 11-audit-log.png shows: the window's worth.
    await camera.screen(
      '18-platform-audit.png',
      '/admin/platform/audit',
      /platform audit log/i,
      'window',
    );
    await ui.signOut();

    // A phone's first screen, not its whole page: each list starts in it, its rows as cards,
    // and nothing scrolls sideways.
    await page.setViewportSize(PHONE);
    await ui.signIn(acme.ownerToken);
    for (const [file, path, heading] of [
      ['19-phone-tokens.png', '/admin/tokens', /^tokens$/i],
      ['20-phone-audit-log.png', '/admin/audit', /^audit log$/i],
    ] as const) {
      await ui.open(path);
      await page.getByRole('table').first().waitFor();
      await camera.shot(file, heading, 'window');
    }
    await page.setViewportSize(VIEWPORT);
    if (browser.cspViolations.length > 0) {
      throw new Error(`Content Security Policy violations:\n${browser.cspViolations.join('\n')}`);
    }
  } finally {
    await browser?.close();
    await app?.stop();
    receiver.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const bytes = taken.reduce((n, f) => n + statSync(join(out, f)).size, 0);
  process.stdout.write(
    `${taken.length} screenshots (${Math.round(bytes / 1024)} KiB) written to ${out}:\n` +
      taken.map((f) => `  ${f}\n`).join(''),
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});

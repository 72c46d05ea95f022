import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../harness/app-cluster';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../harness/app-process';
import { openConsole, type ConsoleBrowser, type ConsoleUi } from '../harness/browser/console-ui';
import { VIEWPORT } from '../harness/browser/swagger-ui';
import { BusinessSetup, LatchkeyClient, scoped } from '../harness/latchkey-client';
import { freePort } from '../harness/ports';
import { CONSOLE_TIMEOUT_MS } from './console-app';
import type { View } from './console-views';

export const RESOURCE = 'https://mcp.example.com/mcp';
export const GATEWAY_SECRET = 'console-consent-gateway-secret';
export const CONSENT_HEADING = /^an app asks to act for you$/i;

/**
 * An app's loopback redirect URI (RFC 8252 §7.3: any port), on a port the OS gave: it records
 * the query of each authorization response the browser brings it, in order.
 */
export class CallbackServer {
  private readonly server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/callback') {
      const waiter = this.waiting.shift();
      if (waiter) waiter(url.searchParams);
      else this.received.push(url.searchParams);
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Signed in: back to the app.');
  });
  private readonly received: URLSearchParams[] = [];
  private readonly waiting: ((query: URLSearchParams) => void)[] = [];
  private port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get redirectUri(): string {
    return `http://127.0.0.1:${this.port}/callback`;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The next authorization response, as soon as the browser brings it. */
  next(): Promise<URLSearchParams> {
    const first = this.received.shift();
    return first ? Promise.resolve(first) : new Promise((resolve) => this.waiting.push(resolve));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A request the app sends the browser with, and what it keeps to redeem the code. */
export interface Authorization {
  url: string;
  verifier: string;
  state: string;
}

/**
 * The app's side of the flow against one business: a resource registered with one scope, a
 * client registered (RFC 7591) with a loopback redirect, authorization requests with PKCE S256,
 * the code redeemed, and the resource's gateway check of the token it got.
 */
export class ConsentApp {
  clientId = '';

  constructor(
    private readonly client: LatchkeyClient,
    private readonly owner: BusinessSetup,
    readonly callback: CallbackServer,
  ) {}

  get issuer(): string {
    return `${this.client.baseUrl}/oauth2/businesses/${this.owner.businessId}`;
  }

  async register(): Promise<void> {
    const resource = await this.client.request('POST', '/api/v1/resources', {
      headers: scoped(this.owner.ownerToken, this.owner.businessId),
      body: {
        uri: RESOURCE,
        name: 'Notes MCP server',
        scopes: [
          { name: 'notes:read', description: 'Read your notes' },
          { name: 'notes:write', description: 'Add to your notes' },
        ],
      },
    });
    expect(resource.status).toBe(201);
    const registered = await this.client.request<{ client_id: string }>(
      'POST',
      '/oauth2/register',
      {
        body: { client_name: 'Acme Agent', redirect_uris: ['http://127.0.0.1/callback'] },
      },
    );
    expect(registered.status).toBe(201);
    this.clientId = registered.body.client_id;
  }

  /** A new authorization request for `scope` (space-separated), as the app sends the browser. */
  authorization(scope = 'notes:read'): Authorization {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(12).toString('base64url');
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: this.clientId,
      redirect_uri: this.callback.redirectUri,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      resource: RESOURCE,
      scope,
      state,
    });
    return { url: `${this.issuer}/authorize?${query.toString()}`, verifier, state };
  }

  /** The token endpoint's answer to the code (a form post, as RFC 6749 §4.1.3 has it). */
  async redeem(code: string, verifier: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: this.clientId,
        code,
        redirect_uri: this.callback.redirectUri,
        code_verifier: verifier,
        resource: RESOURCE,
      }),
    });
    return { status: res.status, body: await res.json() };
  }

  /** The resource's gateway asking whether the access token is good for it: 204 or 401. */
  async verify(accessToken: string): Promise<number> {
    const res = await this.client.request('GET', '/auth/verify', {
      headers: {
        authorization: `Bearer ${accessToken}`,
        'x-latchkey-gateway-secret': GATEWAY_SECRET,
        'x-latchkey-resource': RESOURCE,
      },
    });
    return res.status;
  }
}

/**
 * The consent screen (at `consentUrl`, signed in already), the connected apps list and its
 * withdraw confirmation, for console-walk's checks at both widths.
 */
export function consentViews(ui: ConsoleUi, consentUrl: string): View[] {
  const connectedApps = async () => {
    await ui.open('/admin/connected-apps');
    await ui.page.getByRole('heading', { level: 1, name: /^connected apps$/i }).waitFor();
    await ui.page.getByRole('region', { name: 'Connected apps' }).waitFor();
  };
  return [
    {
      name: 'the consent screen',
      show: async () => {
        await ui.page.goto(consentUrl);
        await ui.page.getByRole('heading', { level: 1, name: CONSENT_HEADING }).waitFor();
        await ui.button('Allow').waitFor();
      },
    },
    { name: 'connected apps', list: true, show: connectedApps },
    {
      name: 'the withdraw confirmation',
      show: async () => {
        await connectedApps();
        await ui.button('Withdraw').first().click();
        await ui.page.getByRole('dialog').waitFor();
      },
    },
  ];
}

/**
 * Approvers' views, for console-walk's checks at both widths: the consent screen once Allow was
 * refused for want of an approver (its Justification form), as `member` (signed in already);
 * Connected apps with its App requests, and the Deny dialog, as `owner` (signed in already).
 */
export function approvalViews(member: ConsoleUi, owner: ConsoleUi, consentUrl: string) {
  const appRequests = async () => {
    await owner.open('/admin/connected-apps');
    await owner.page.getByRole('region', { name: 'App requests' }).waitFor();
  };
  const asker: View[] = [
    {
      name: 'the consent screen asking for approval',
      show: async () => {
        await member.page.goto(consentUrl);
        await member.button('Allow').click();
        await member.page.getByLabel('Justification', { exact: true }).waitFor();
      },
    },
  ];
  const approver: View[] = [
    { name: 'app requests', list: true, show: appRequests },
    {
      name: 'the deny dialog',
      show: async () => {
        await appRequests();
        await owner.button('Deny').first().click();
        await owner.page.getByRole('dialog').waitFor();
      },
    },
  ];
  return { asker, approver };
}

/** What the consent suite drives: the built app, a business, its app's side, and Chromium. */
export interface ConsentWorld {
  app: AppProcess;
  browser: ConsoleBrowser;
  client: LatchkeyClient;
  owner: BusinessSetup;
  agent: ConsentApp;
  callback: CallbackServer;
}

/**
 * useConsoleApp's hooks, for an app that is also a resource's gateway check (VERIFY_GATEWAY_SECRET)
 * and sends the browser to the consent screen at the origin it signs in at (PUBLIC_BASE_URL):
 * before all, the app, a business, its resource and client, the callback and Chromium; before
 * each test, signed out at the desktop width; after each, no CSP violation heard.
 */
export function useConsentApp(name: string): ConsentWorld {
  const dir = mkdtempSync(join(tmpdir(), `latchkey-${name}-`));
  const ctx = { callback: new CallbackServer() } as ConsentWorld;

  beforeAll(async () => {
    await buildApp();
    await ctx.callback.start();
    const port = await freePort();
    ctx.app = await startAppProcess({
      name,
      port,
      env: {
        SQLITE_PATH: join(dir, 'console.sqlite'),
        LOG_LEVEL: 'warn',
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        VERIFY_GATEWAY_SECRET: GATEWAY_SECRET,
        ...RATE_LIMITS_OFF,
      },
    });
    ctx.client = new LatchkeyClient(ctx.app.url);
    ctx.owner = await ctx.client.createBusiness(ctx.app.platformToken!, 'consent');
    ctx.agent = new ConsentApp(ctx.client, ctx.owner, ctx.callback);
    await ctx.agent.register();
    ctx.browser = await openConsole(ctx.app.url);
  }, CONSOLE_TIMEOUT_MS);

  afterAll(async () => {
    await ctx.browser?.close();
    await ctx.app?.stop();
    await ctx.callback.stop();
    rmSync(dir, { recursive: true, force: true });
  }, CONSOLE_TIMEOUT_MS);

  beforeEach(async () => {
    await ctx.browser.page.setViewportSize(VIEWPORT);
    await ctx.browser.ui.open();
    await ctx.browser.page.evaluate('sessionStorage.clear(); localStorage.clear()');
  });

  afterEach(() => expect(ctx.browser.cspViolations.splice(0)).toEqual([]));

  return ctx;
}

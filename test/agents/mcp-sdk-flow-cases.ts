import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../harness/app-process';
import { buildApp } from '../harness/app-cluster';
import { createTestDatabase, TestDatabase } from '../harness/app/test-app';
import { ConsoleBrowser, openConsole } from '../harness/browser/console-ui';
import { BusinessSetup, LatchkeyClient, scoped } from '../harness/latchkey-client';
import { lastReading, waitFor } from '../harness/patience';
import type { Driver } from '../setup/servers';
import { AgentProvider, HttpTrace, LoopbackCallback } from './mcp-agent';
import {
  installExample,
  RunningExample,
  startExample,
  tarballNamedByExample,
} from './notes-example';

const GATEWAY_SECRET = 'mcp-sdk-flow-gateway-secret';
const TIMEOUT_MS = 180_000;
const AGENT = 'Notes Agent (MCP SDK)';
/**
 * How soon the MCP server refuses a withdrawn app's token: Latchkey pushes the revocation to it
 * (docs/clients.md, "Revocation within a second"); its status list alone would take 60 s.
 */
const WITHDRAWAL_SEEN_MS = 1000;

/** The built server on a port of its own, which it also names itself by (PUBLIC_BASE_URL). */
function startLatchkey(name: string, db: TestDatabase): Promise<AppProcess> {
  return startAppProcess({
    name,
    namedByUrl: true,
    env: {
      ...db.env,
      LOG_LEVEL: 'warn',
      VERIFY_GATEWAY_SECRET: GATEWAY_SECRET,
      // Its pushes go to the example, on this machine, over http.
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      ...RATE_LIMITS_OFF,
    },
  });
}

/** The lines of requests that are not metadata discovery (the SDK reads it again on each auth). */
const calls = (lines: string[]) => lines.filter((line) => !line.includes('/.well-known/'));

/** What a promise settled to: its value, or the error it was rejected with. */
const settled = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );

/** The suite's title, the same in both drivers' files. */
export const MCP_SDK_FLOW =
  'an MCP agent on @modelcontextprotocol/sdk, given only the example server URL';

/**
 * An agent built on @modelcontextprotocol/sdk's Client, given nothing but the URL of
 * examples/mcp-server (installed from the packed client package, run with node): it finds
 * Latchkey from the server's 401 (RFC 9728, then RFC 8414), registers (RFC 7591), sends the
 * person's browser to the console's consent screen, where they sign in and allow, redeems the
 * code, calls the tool its scope allows, is refused the other with insufficient_scope, refreshes
 * once its access token stops working, and is refused within a second once the person
 * withdraws it on Connected apps.
 *
 * One driver a file (`processes/mcp-sdk-flow*.e2e-spec.ts`), so the two run side by side; each
 * installs the example (the client package's pack is built once, scripts/client-pack-key.js).
 */
export function mcpSdkFlowOn(driver: Driver, { checksTarball }: { checksTarball: boolean }) {
  return () => {
    const work = mkdtempSync(join(tmpdir(), 'latchkey-mcp-sdk-'));
    const callback = new LoopbackCallback();
    let exampleFolder: string;

    beforeAll(async () => {
      await callback.start();
      [exampleFolder] = await Promise.all([installExample(work), buildApp()]);
    }, TIMEOUT_MS);

    afterAll(async () => {
      await callback.stop();
      rmSync(work, { recursive: true, force: true });
    });

    if (checksTarball) {
      it("the example's package.json names the client package's current tarball", () => {
        const { named, current } = tarballNamedByExample();
        expect(named).toBe(current);
      });
    }

    describe(`on ${driver}`, () => {
      let db: TestDatabase;
      let latchkey: AppProcess;
      let api: LatchkeyClient;
      let owner: BusinessSetup;
      let example: RunningExample;
      let browser: ConsoleBrowser;
      let trace: HttpTrace;
      let provider: AgentProvider;
      let mcp: Client;
      let issuer: string;
      const transport = () =>
        new StreamableHTTPClientTransport(new URL(example.url), {
          authProvider: provider,
          fetch: trace.fetch,
        });
      const listNotes = () => mcp.callTool({ name: 'notes.list', arguments: {} });

      /** The tokens issued under the business's grants, oldest first, as the audit log has them. */
      function grantsIssued(count: number): Promise<string[]> {
        const read = async () => {
          const res = await api.request<{
            data: { items: { metadata: { grant_type: string } }[] };
          }>('GET', '/api/v1/audit-events?action=oauth_grant.tokens_issued', {
            headers: scoped(owner.ownerToken, owner.businessId),
          });
          return res.body.data.items.map((e) => e.metadata.grant_type).reverse();
        };
        return lastReading(read, (types) => types.length >= count);
      }

      beforeAll(async () => {
        db = await createTestDatabase(driver);
        latchkey = await startLatchkey(`mcp-sdk-latchkey-${driver}`, db);
        api = new LatchkeyClient(latchkey.url);
        owner = await api.createBusiness(latchkey.platformToken!, 'mcp-sdk');
        issuer = `${latchkey.url}/oauth2/businesses/${owner.businessId}`;
        const register = async (uri: string) => {
          const res = await api.request('POST', '/api/v1/resources', {
            headers: scoped(owner.ownerToken, owner.businessId),
            body: {
              uri,
              name: 'Notes MCP server',
              scopes: [
                { name: 'notes:read', description: 'Read your notes' },
                { name: 'notes:write', description: 'Add to your notes' },
              ],
            },
          });
          if (res.status !== 201) throw new Error(`resource: ${JSON.stringify(res.body)}`);
        };
        example = await startExample(
          exampleFolder,
          {
            LATCHKEY_URL: latchkey.url,
            LATCHKEY_BUSINESS_ID: owner.businessId,
            LATCHKEY_GATEWAY_SECRET: GATEWAY_SECRET,
            LATCHKEY_EVENTS_TOKEN: owner.ownerToken,
          },
          register,
        );
        browser = await openConsole(latchkey.url);
        trace = new HttpTrace(
          { [example.origin]: 'mcp', [latchkey.url]: 'latchkey' },
          { [owner.businessId]: ':biz' },
        );
        // The agent opens the person's browser at the authorization URL, as a desktop agent does.
        provider = new AgentProvider(callback.redirectUri, async (url) => {
          await browser.page.goto(url.href);
        });
      }, TIMEOUT_MS);

      afterAll(async () => {
        await mcp?.close();
        await browser?.close();
        await example?.child.stop();
        await latchkey?.stop();
        await db?.drop();
      }, TIMEOUT_MS);

      it(
        "finds Latchkey from the server's 401 alone, registers, sends the person to the consent screen, and redeems the code they allow",
        async () => {
          const { page, ui } = browser;
          const first = transport();
          const refused = await settled(
            new Client({ name: 'notes-agent', version: '1.0.0' }).connect(first),
          );
          expect(refused.error).toBeInstanceOf(UnauthorizedError);
          expect(trace.lines()).toEqual([
            'mcp POST /mcp initialize → 401',
            'mcp GET /.well-known/oauth-protected-resource/mcp → 200',
            'latchkey GET /.well-known/oauth-authorization-server/oauth2/businesses/:biz → 200',
            'latchkey POST /oauth2/register → 201',
          ]);
          // The challenge names the endpoint's scope, which is what the SDK asks for.
          expect(trace.requests[0].wwwAuthenticate).toBe(
            `Bearer resource_metadata="${example.origin}/.well-known/oauth-protected-resource/mcp", scope="notes:read"`,
          );

          const [asked] = provider.authorizations;
          expect(`${asked.origin}${asked.pathname}`).toBe(`${issuer}/authorize`);
          expect(Object.fromEntries(asked.searchParams)).toEqual({
            response_type: 'code',
            client_id: provider.clientInformation()!.client_id,
            code_challenge: expect.stringMatching(/^[\w-]{43}$/),
            code_challenge_method: 'S256',
            redirect_uri: callback.redirectUri,
            state: provider.lastState,
            scope: 'notes:read',
            resource: example.url,
          });

          await ui.step('mcp-sdk-consent', async () => {
            expect(new URL(page.url()).pathname).toBe('/admin/consent');
            await page.getByLabel('Token', { exact: true }).fill(owner.ownerToken);
            await ui.button('Sign in').click();
            await page.getByRole('main').getByText(AGENT).first().waitFor();
            await ui.button('Allow').click();
          });
          const answer = await callback.next();
          expect(answer.get('state')).toBe(provider.lastState);
          expect(answer.get('iss')).toBe(issuer);

          const mark = trace.requests.length;
          await first.finishAuth(answer.get('code')!);
          expect(calls(trace.lines(mark))).toEqual([
            'latchkey POST /oauth2/businesses/:biz/token authorization_code → 200',
          ]);
          expect(provider.tokens()).toMatchObject({
            token_type: 'Bearer',
            scope: 'notes:read',
            access_token: expect.stringMatching(/^lk_/),
            refresh_token: expect.stringMatching(/^lkr_/),
          });
        },
        TIMEOUT_MS,
      );

      it('lists both tools, and calls the one its scope allows', async () => {
        mcp = new Client({ name: 'notes-agent', version: '1.0.0' });
        await mcp.connect(transport());
        const { tools } = await mcp.listTools();
        expect(tools.map((tool) => tool.name).sort()).toEqual(['notes.add', 'notes.list']);
        await expect(listNotes()).resolves.toMatchObject({
          content: [{ type: 'text', text: '[]' }],
        });
      });

      it('is refused notes.add, 403 insufficient_scope naming what the call needs; its step-up cannot widen a refresh, and adds nothing', async () => {
        const mark = trace.requests.length;
        const call = await settled(
          mcp.callTool({ name: 'notes.add', arguments: { text: 'buy milk' } }),
        );
        expect(call.error).toBeInstanceOf(StreamableHTTPError);
        expect((call.error as StreamableHTTPError).code).toBe(403);
        expect(trace.requests[mark].wwwAuthenticate).toBe(
          `Bearer error="insufficient_scope", scope="notes:read notes:write", resource_metadata="${example.origin}/.well-known/oauth-protected-resource/mcp"`,
        );
        // SDK 1.x steps up with the refresh token it holds (no scope: RFC 6749 §6 cannot widen
        // it), is refused again, and gives up; the person is not asked.
        expect(calls(trace.lines(mark))).toEqual([
          'mcp POST /mcp tools/call notes.add → 403',
          'latchkey POST /oauth2/businesses/:biz/token refresh_token → 200',
          'mcp POST /mcp tools/call notes.add → 403',
        ]);
        expect(provider.authorizations).toHaveLength(1);
        expect(provider.tokens()!.scope).toBe('notes:read');
        await expect(listNotes()).resolves.toMatchObject({
          content: [{ type: 'text', text: '[]' }],
        });
      });

      it('refuses a notes.add hidden in a batch, behind a repeated key or in another media type, and adds nothing', async () => {
        // The same person's token with notes:read alone, made in the API: bound to no resource,
        // it is taken at any.
        const reader = await api.createToken(owner, 'notes-reader', { scopes: ['notes:read'] });
        const post = (body: string, contentType = 'application/json') =>
          fetch(example.url, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${reader.token}`,
              'content-type': contentType,
              accept: 'application/json, text/event-stream',
              'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
            },
            body,
          });
        // `names`: the params' name member, repeated if given twice (JSON.parse keeps the last).
        const call = (id: number, ...names: string[]) =>
          `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{${names
            .map((name) => `"name":"${name}",`)
            .join('')}"arguments":{"text":"sneaked in"}}}`;

        const listed = await post(call(1, 'notes.list'));
        expect(listed.status).toBe(200);
        const refusals = await Promise.all([
          post(`[${call(2, 'notes.list')},${call(3, 'notes.add')}]`),
          post(call(4, 'notes.list', 'notes.add')),
        ]);
        for (const refused of refusals) {
          expect(refused.status).toBe(403);
          expect(refused.headers.get('www-authenticate')).toMatch(
            /^Bearer error="insufficient_scope", scope="notes:read notes:write"/,
          );
        }
        // A name every object inherits is no tool: the check passes it, and the SDK refuses it.
        const inherited = await post(call(6, 'constructor'));
        expect(inherited.status).toBe(200);
        expect(await inherited.text()).toMatch(
          /"text":"MCP error -32602: Tool constructor [^"]*"\}\],"isError":true/,
        );
        // Unread by the check, and so refused by the transport.
        expect((await post(call(5, 'notes.add'), 'text/plain')).status).toBe(415);
        await expect(listNotes()).resolves.toMatchObject({ content: [{ text: '[]' }] });
      });

      it('refreshes once its access token stops working, and goes on', async () => {
        const before = provider.tokens()!;
        // The agent drops its access token early (RFC 7009), as an expiry would: its refresh
        // token lives on, and Latchkey pushes the revocation to the server.
        const revoked = await fetch(`${latchkey.url}/oauth2/revoke`, {
          method: 'POST',
          body: new URLSearchParams({ token: before.access_token }),
        });
        expect(revoked.status).toBe(200);
        const mark = trace.requests.length;
        await waitFor(
          () => `a refresh:\n${trace.lines(mark).join('\n')}`,
          async () => {
            await expect(listNotes()).resolves.toMatchObject({ content: [{ text: '[]' }] });
            return trace.lines(mark).some((line) => line.includes('refresh_token'));
          },
        );
        expect(calls(trace.lines(mark)).slice(-3)).toEqual([
          'mcp POST /mcp tools/call notes.list → 401',
          'latchkey POST /oauth2/businesses/:biz/token refresh_token → 200',
          'mcp POST /mcp tools/call notes.list → 200',
        ]);
        expect(provider.tokens()!.access_token).not.toBe(before.access_token);
        expect(provider.tokens()!.refresh_token).not.toBe(before.refresh_token);
        expect(await grantsIssued(3)).toEqual([
          'authorization_code',
          'refresh_token',
          'refresh_token',
        ]);
      });

      it('is refused within a second once the person withdraws it on Connected apps, and sends them to consent again', async () => {
        const { page, ui } = browser;
        const deleted = page.waitForResponse(
          (res) =>
            res.request().method() === 'DELETE' && res.url().includes('/api/v1/connected-apps/'),
        );
        await ui.step('mcp-sdk-withdraw', async () => {
          await ui.open('/admin/');
          await ui.go('Connected apps', /^connected apps$/i);
          const row = page.getByRole('row').filter({ hasText: AGENT });
          await row.getByRole('button', { name: 'Withdraw', exact: true }).click();
          await ui.button('Withdraw app').click();
        });
        expect((await deleted).status()).toBe(200);
        const withdrawnAt = Date.now();

        const mark = trace.requests.length;
        let call = await settled(listNotes());
        while (call.error === undefined && Date.now() - withdrawnAt < WITHDRAWAL_SEEN_MS) {
          call = await settled(listNotes());
        }
        expect(call.error).toBeInstanceOf(UnauthorizedError);
        const firstRefusal = trace.requests.slice(mark).find((r) => r.status === 401);
        expect(firstRefusal?.wwwAuthenticate).toMatch(/^Bearer error="invalid_token", /);
        // The SDK tries its refresh token, which the withdrawal ended, forgets its tokens, and
        // sends the person to consent again.
        expect(calls(trace.lines(mark)).slice(-2)).toEqual([
          'mcp POST /mcp tools/call notes.list → 401',
          'latchkey POST /oauth2/businesses/:biz/token refresh_token → 400',
        ]);
        expect(provider.invalidated).toEqual(['tokens']);
        expect(provider.authorizations).toHaveLength(2);
        expect(new URL(page.url()).pathname).toBe('/admin/consent');
        expect(browser.cspViolations).toEqual([]);
      });
    });
  };
}

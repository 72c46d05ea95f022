import { latchkey, latchkeyResourceMetadata } from '../../packages/client/src/express';
import {
  insufficientScope,
  type ProtectedResourceOptions,
  resourceMetadataAnswer,
} from '../../packages/client/src/middleware/protected-resource';
import { EdgeVerifier } from '../../packages/client/src/verifier';
import {
  type BusinessFixture,
  createBusiness,
  createToken,
  type IssuedToken,
} from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { PATIENCE_MS } from '../harness/patience';
import { freePort } from '../harness/ports';
import { MESSAGES, stranger } from './middleware-fixtures';
import { FRAMEWORKS, type ResourceApp, TOOL_SCOPE } from './protected-resource-fixtures';

/**
 * An app guarded by @latchkey/client with `protectedResource`, as an MCP client built on
 * `@modelcontextprotocol/sdk` meets it (RFC 9728, RFC 6750 §3): its metadata at the well-known
 * URL of its resource, a challenge naming that URL and the scopes on every 401 and 403, and
 * only tokens bound to it (or to no audience) taken, against the real Latchkey. One Latchkey,
 * and two apps per framework: one at resource A, one at B.
 */

const SECRET = 'gw-secret-of-the-protected-resource-suite-4d1c';
const A = 'https://mcp.example.com/mcp';
/** A resource at the origin's root: its metadata's path has no resource path after it. */
const B = 'https://tools.example.com';
const A_METADATA = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
const B_METADATA = 'https://tools.example.com/.well-known/oauth-protected-resource';

describe('@latchkey/client as an OAuth protected resource (RFC 9728)', () => {
  let t: TestApp;
  let base: string;
  let biz: BusinessFixture;
  /** Bound to A: `files:read`, and `files:read files:write`; bound to B; bound to nothing. */
  const tokens = {} as Record<'reader' | 'writer' | 'atB' | 'anywhere', IssuedToken>;
  let resourceA: ProtectedResourceOptions;
  let resourceB: ProtectedResourceOptions;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Latchkey believes X-Latchkey-Resource only from a gateway it trusts: the apps send the secret.
    t = await bootTestApp('sqlite', {
      PUBLIC_BASE_URL: base,
      VERIFY_GATEWAY_SECRET: SECRET,
      // Each refused check spends 127.0.0.1's failed-auth budget: none may refuse a later case.
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
    });
    await t.app.listen(port, '127.0.0.1');
    biz = await createBusiness(t);
    const owner = asOwner(biz);
    const read = ['files:read'];
    tokens.reader = await createToken(t, owner, { scopes: read, audiences: [A] });
    tokens.writer = await createToken(t, owner, {
      scopes: [...read, 'files:write'],
      audiences: [A],
    });
    tokens.atB = await createToken(t, owner, { scopes: read, audiences: [B] });
    tokens.anywhere = await createToken(t, owner, { scopes: read });
    const issuer = `${base}/oauth2/businesses/${biz.id}`;
    resourceA = {
      resource: A,
      authorizationServers: [issuer],
      scopesSupported: ['files:read', 'files:write', TOOL_SCOPE],
      resourceName: 'Files over MCP',
      resourceDocumentation: 'https://mcp.example.com/docs',
    };
    resourceB = { resource: B, authorizationServers: [issuer] };
  });
  afterAll(() => t?.close());

  const bearer = (token: IssuedToken) => ({ authorization: `Bearer ${token.secret}` });
  const refused = (status: number, code: string, challenge: string) => ({
    status,
    body: { success: false, code, message: MESSAGES[code], detail: null, request_id: null },
    challenge,
  });
  const seen = ({ status, body, headers }: { status: number; body: unknown; headers: object }) => ({
    status,
    body,
    challenge: (headers as Record<string, string>)['www-authenticate'],
  });

  describe.each(FRAMEWORKS)('on %s', (_name, start, routeScopesIn401) => {
    let atA: ResourceApp;
    let atB: ResourceApp;
    beforeAll(async () => {
      const options = { baseUrl: base, scopes: ['files:read'], logger: { error: () => {} } };
      // The real Latchkey may answer slowly on a busy machine: an answer, not an outage.
      const verifierOptions = { gatewaySecret: SECRET, requestTimeoutMs: PATIENCE_MS };
      [atA, atB] = await Promise.all([
        start({ ...options, verifierOptions, protectedResource: resourceA }),
        start({ ...options, verifierOptions, protectedResource: resourceB }),
      ]);
    });
    afterAll(() => Promise.all([atA?.close(), atB?.close()]));

    it('serves its metadata at the well-known URL of its resource, with no token, for an hour, to any origin', async () => {
      const cases = [
        [atA, '/.well-known/oauth-protected-resource/mcp', resourceA],
        [atB, '/.well-known/oauth-protected-resource', resourceB],
      ] as const;
      for (const [app, path] of cases) {
        const answer = await app.request('GET', path);
        expect({ status: answer.status, ...answer.headers }).toMatchObject({
          status: 200,
          'content-type': expect.stringMatching(/^application\/json\b/),
          'cache-control': 'public, max-age=3600',
          'access-control-allow-origin': '*',
        });
        expect(answer.headers['www-authenticate']).toBeUndefined();
        const preflight = await app.request('OPTIONS', path, {
          origin: 'https://client.example.com',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'mcp-protocol-version',
        });
        expect({ status: preflight.status, ...preflight.headers }).toMatchObject({
          status: 204,
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'GET, HEAD, OPTIONS',
          'access-control-allow-headers': '*',
        });
      }
      expect((await atA.request('GET', '/.well-known/oauth-protected-resource/mcp')).body).toEqual({
        resource: A,
        authorization_servers: [`${base}/oauth2/businesses/${biz.id}`],
        scopes_supported: ['files:read', 'files:write', TOOL_SCOPE],
        bearer_methods_supported: ['header'],
        resource_name: 'Files over MCP',
        resource_documentation: 'https://mcp.example.com/docs',
      });
      expect((await atB.request('GET', '/.well-known/oauth-protected-resource')).body).toEqual({
        resource: B,
        authorization_servers: [`${base}/oauth2/businesses/${biz.id}`],
        bearer_methods_supported: ['header'],
      });
      // Another resource's metadata is not this app's to serve (a 401 or a 404, by framework).
      const other = await atB.request('GET', '/.well-known/oauth-protected-resource/mcp');
      expect(other.status).toBeGreaterThanOrEqual(400);
    });

    it('answers a request with no token 401 naming the metadata and the scopes, with no error code (RFC 6750 §3.1)', async () => {
      expect(seen(await atA.request('GET', '/mcp'))).toEqual(
        refused(
          401,
          'INVALID_TOKEN',
          `Bearer resource_metadata="${A_METADATA}", scope="files:read"`,
        ),
      );
      const scope = routeScopesIn401 ? 'files:read files:write' : 'files:read';
      expect(seen(await atA.request('GET', '/mcp/write'))).toEqual(
        refused(401, 'INVALID_TOKEN', `Bearer resource_metadata="${A_METADATA}", scope="${scope}"`),
      );
      // Another scheme is no token either.
      expect(
        seen(await atB.request('GET', '/mcp', { authorization: 'Basic dXNlcjpwYXNz' })),
      ).toEqual(
        refused(
          401,
          'INVALID_TOKEN',
          `Bearer resource_metadata="${B_METADATA}", scope="files:read"`,
        ),
      );
    });

    it('answers a token Latchkey never issued 401 with error="invalid_token"', async () => {
      const answer = await atA.request('GET', '/mcp', { authorization: `Bearer ${stranger()}` });
      expect(seen(answer)).toEqual(
        refused(
          401,
          'INVALID_TOKEN',
          `Bearer error="invalid_token", resource_metadata="${A_METADATA}", scope="files:read"`,
        ),
      );
    });

    it('answers a token short of a scope 403 insufficient_scope, naming the scopes and the metadata', async () => {
      expect(seen(await atA.request('GET', '/mcp/write', bearer(tokens.reader)))).toEqual(
        refused(
          403,
          'INSUFFICIENT_SCOPE',
          `Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="${A_METADATA}"`,
        ),
      );
      const allowed = await atA.request('GET', '/mcp/write', bearer(tokens.writer));
      expect({ status: allowed.status, body: allowed.body }).toEqual({
        status: 200,
        body: { identityId: tokens.writer.view.identity_id },
      });
      // The app's own refusal of a tool call, from insufficientScope.
      expect(seen(await atA.request('GET', '/mcp/tool', bearer(tokens.writer)))).toEqual(
        refused(
          403,
          'INSUFFICIENT_SCOPE',
          `Bearer error="insufficient_scope", scope="${TOOL_SCOPE}", resource_metadata="${A_METADATA}"`,
        ),
      );
    });

    it('takes a token bound to its resource, refuses one bound to another 401, and never answers one resource from what it learned at the other', async () => {
      const passes = (token: IssuedToken) => ({
        status: 200,
        body: { identityId: token.view.identity_id },
        challenge: undefined,
      });
      const elsewhere = (metadata: string) =>
        refused(
          401,
          'INVALID_TOKEN',
          `Bearer error="invalid_token", resource_metadata="${metadata}", scope="files:read"`,
        );
      // Twice each, so the second answer may come from the verifier's memory.
      for (let i = 0; i < 2; i++) {
        expect(seen(await atA.request('GET', '/mcp', bearer(tokens.reader)))).toEqual(
          passes(tokens.reader),
        );
        expect(seen(await atB.request('GET', '/mcp', bearer(tokens.reader)))).toEqual(
          elsewhere(B_METADATA),
        );
        expect(seen(await atB.request('GET', '/mcp', bearer(tokens.atB)))).toEqual(
          passes(tokens.atB),
        );
        expect(seen(await atA.request('GET', '/mcp', bearer(tokens.atB)))).toEqual(
          elsewhere(A_METADATA),
        );
        // Bound to no audience: Latchkey takes it at any resource.
        for (const app of [atA, atB]) {
          expect(seen(await app.request('GET', '/mcp', bearer(tokens.anywhere)))).toEqual(
            passes(tokens.anywhere),
          );
        }
      }
    });
  });

  describe('options', () => {
    const good = (): ProtectedResourceOptions => ({
      resource: A,
      authorizationServers: ['https://latchkey.example.com/oauth2/businesses/b1'],
    });
    const field = (more: Record<string, unknown>) => ({ ...good(), ...more });

    it.each([
      [
        'no resource',
        field({ resource: undefined }),
        'protectedResource.resource must be an absolute https URI',
      ],
      [
        'a relative resource',
        field({ resource: '/mcp' }),
        'protectedResource.resource must be an absolute https URI',
      ],
      [
        'a resource with a fragment',
        field({ resource: `${A}#x` }),
        'protectedResource.resource must be an absolute https URI',
      ],
      [
        'a resource with user information',
        field({ resource: 'https://u:p@mcp.example.com/mcp' }),
        'protectedResource.resource must be an absolute https URI',
      ],
      [
        'an ftp resource',
        field({ resource: 'ftp://mcp.example.com/mcp' }),
        'protectedResource.resource must be an absolute https URI',
      ],
      [
        'http off loopback',
        field({ resource: 'http://mcp.example.com/mcp' }),
        'protectedResource.resource must be https (http only on 127.0.0.1, [::1] or localhost)',
      ],
      [
        'a resource with a query',
        field({ resource: `${A}?tenant=1` }),
        'protectedResource.resource must have no query',
      ],
      [
        'a path a router would read',
        field({ resource: 'https://mcp.example.com/:id' }),
        "protectedResource.resource must have a path of letters, digits, '-', '.', '_', '~' and '/' alone",
      ],
      [
        'no authorization server',
        field({ authorizationServers: [] }),
        'protectedResource.authorizationServers must name at least one authorization server',
      ],
      [
        'a string of servers',
        field({ authorizationServers: 'https://a.example.com' }),
        'protectedResource.authorizationServers must name at least one authorization server',
      ],
      [
        'a relative server',
        field({ authorizationServers: ['/oauth2'] }),
        'protectedResource.authorizationServers[0] must be an absolute https URL',
      ],
      [
        'an http server off loopback',
        field({ authorizationServers: ['https://a.example.com', 'http://b.example.com'] }),
        'protectedResource.authorizationServers[1] must be an absolute https URL',
      ],
      [
        'a server with a query',
        field({ authorizationServers: ['https://a.example.com/?x=1'] }),
        'protectedResource.authorizationServers[0] must be an absolute https URL',
      ],
      [
        'a scope out of grammar',
        field({ scopesSupported: ['files:read', 'Files:Write'] }),
        'protectedResource.scopesSupported[1] is not a scope',
      ],
      [
        '51 scopes',
        field({ scopesSupported: Array.from({ length: 51 }, (_, i) => `s${i}`) }),
        'protectedResource.scopesSupported may name at most 50 scopes',
      ],
      [
        'an empty name',
        field({ resourceName: '' }),
        'protectedResource.resourceName must be 1 to 200 characters',
      ],
      [
        'a name with a newline',
        field({ resourceName: 'a\nb' }),
        'protectedResource.resourceName must be 1 to 200 characters',
      ],
      [
        'documentation that is no URL',
        field({ resourceDocumentation: 'docs' }),
        'protectedResource.resourceDocumentation must be an absolute http(s) URL',
      ],
    ])('refuses %s with a TypeError, at construction', (_, protectedResource, message) => {
      const made = [
        () => latchkey({ baseUrl: 'http://127.0.0.1:1', protectedResource }),
        () => latchkeyResourceMetadata(protectedResource),
        () => insufficientScope(protectedResource, ['files:read']),
      ];
      for (const make of made) {
        expect(make).toThrow(TypeError);
        expect(make).toThrow(message);
      }
    });

    it.each([
      [
        'https://MCP.Example.com:443/mcp',
        'https://mcp.example.com/mcp',
        '/.well-known/oauth-protected-resource/mcp',
      ],
      [
        'https://mcp.example.com/',
        'https://mcp.example.com',
        '/.well-known/oauth-protected-resource',
      ],
      [
        'http://127.0.0.1:4000/mcp',
        'http://127.0.0.1:4000/mcp',
        '/.well-known/oauth-protected-resource/mcp',
      ],
      [
        'http://[::1]:4000/v1/mcp/',
        'http://[::1]:4000/v1/mcp/',
        '/.well-known/oauth-protected-resource/v1/mcp/',
      ],
      ['http://localhost/mcp', 'http://localhost/mcp', '/.well-known/oauth-protected-resource/mcp'],
    ])('takes %s, published as %s at %s', (resource, published, path) => {
      const answer = resourceMetadataAnswer(field({ resource }));
      expect(answer.path).toBe(path);
      expect(JSON.parse(answer.body)).toMatchObject({ resource: published });
    });

    it('refuses a shared verifier made for another resource, or none, and scopes out of grammar', () => {
      const baseUrl = 'http://127.0.0.1:1';
      const protectedResource = good();
      const made = (resource?: string) => new EdgeVerifier({ baseUrl, resource });
      const mismatch = 'the verifier must check tokens at protectedResource.resource';
      expect(() => latchkey({ verifier: made(), protectedResource })).toThrow(mismatch);
      expect(() => latchkey({ verifier: made(B), protectedResource })).toThrow(mismatch);
      expect(() =>
        latchkey({ baseUrl, protectedResource, verifierOptions: { resource: B } }),
      ).toThrow(mismatch);
      // The same resource in another spelling is the same resource.
      const shared = made('https://MCP.example.com:443/mcp');
      expect(shared.resource).toBe(A);
      expect(() => latchkey({ verifier: shared, protectedResource })).not.toThrow();
      expect(() => new EdgeVerifier({ baseUrl, resource: `${A}#f` })).toThrow(TypeError);
      expect(() => insufficientScope(protectedResource, ['Files'])).toThrow(
        'scopes[0] is not a scope',
      );
      expect(() => insufficientScope(protectedResource, [])).toThrow(
        'scopes must name at least one scope',
      );
    });
  });
});

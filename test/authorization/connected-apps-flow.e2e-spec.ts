import { randomBytes } from 'node:crypto';
import { s256Challenge } from '../../src/authorization/codes/pkce';
import { BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { uniqueLabel } from '../factories/unique';
import { asOwner, Caller } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const REDIRECT = 'http://127.0.0.1:4567/callback';
const BASE = 'https://latchkey.test';
/** The resource server's gateway secret: only a trusted gateway may name the resource it is. */
const GATEWAY_SECRET = 'gateway-secret-for-mcp-tests';

/** A PKCE pair (RFC 7636 §4.1, §4.2). */
function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256Challenge(verifier) };
}

/**
 * The authorization code flow through the real app, as a client and a person run it over HTTP:
 * discovery, authorization, the console's consent API, the token endpoint, a refresh, a refresh
 * reused, and a connected app withdrawn. The browser's part is the console's own suite.
 */
describe.each(DRIVERS)('connected apps flow on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let owner: Caller;
  let clientId: string;
  let resource: string;

  beforeAll(async () => {
    t = await bootTestApp(driver, {
      RATE_LIMIT_OAUTH_PER_MINUTE: '0',
      PUBLIC_BASE_URL: BASE,
      VERIFY_GATEWAY_SECRET: GATEWAY_SECRET,
    });
    biz = await createUnexpiringBusiness(t, uniqueLabel('agents'));
    owner = asOwner(biz);
    resource = `https://mcp-${uniqueLabel('r').toLowerCase()}.example.com/mcp`;
    await t
      .http()
      .post('/api/v1/resources')
      .set(owner)
      .send({
        uri: resource,
        name: 'Notes MCP server',
        scopes: [
          { name: 'notes:read', description: 'Read your notes' },
          { name: 'notes:write', description: 'Write your notes' },
        ],
      })
      .expect(201);
    const registered = await t
      .http()
      .post('/oauth2/register')
      .send({ client_name: 'Acme Agent', redirect_uris: ['http://127.0.0.1/callback'] })
      .expect(201);
    clientId = registered.body.client_id;
  });
  afterAll(() => t.close());

  const issuer = () => `${BASE}/oauth2/businesses/${biz.id}`;

  /** Runs the authorization request; answers the sealed request the console is sent with. */
  async function authorize(extra: Record<string, string> = {}) {
    const { verifier, challenge } = pkce();
    const res = await t
      .http()
      .get(`/oauth2/businesses/${biz.id}/authorize`)
      .query({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource,
        scope: 'notes:read',
        state: 'st-123',
        ...extra,
      })
      .expect(302);
    const location = new URL(res.headers.location);
    expect(location.pathname).toBe('/admin/consent');
    expect(location.searchParams.get('business')).toBe(biz.id);
    return { request: location.searchParams.get('request')!, verifier };
  }

  async function allow(request: string, caller: Caller = owner) {
    const res = await t
      .http()
      .post('/api/v1/authorization-requests/decision')
      .set(caller)
      .send({ request, decision: 'allow' })
      .expect(201);
    return new URL(res.body.data.redirect_to as string);
  }

  const token = (body: Record<string, string>) =>
    t.http().post(`/oauth2/businesses/${biz.id}/token`).type('form').send(body);

  async function codeFlow() {
    const { request, verifier } = await authorize();
    const back = await allow(request);
    const res = await token({
      grant_type: 'authorization_code',
      client_id: clientId,
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      resource,
    }).expect(200);
    return res.body as { access_token: string; refresh_token: string; scope: string };
  }

  const verify = (accessToken: string, at = resource) =>
    t
      .http()
      .get('/auth/verify')
      .set('authorization', `Bearer ${accessToken}`)
      .set('x-latchkey-gateway-secret', GATEWAY_SECRET)
      .set('x-latchkey-resource', at);

  it('publishes the business as an authorization server (RFC 8414 §3.1)', async () => {
    const res = await t
      .http()
      .get(`/.well-known/oauth-authorization-server/oauth2/businesses/${biz.id}`)
      .expect(200);
    expect(res.body).toMatchObject({
      issuer: issuer(),
      authorization_endpoint: `${issuer()}/authorize`,
      token_endpoint: `${issuer()}/token`,
      registration_endpoint: `${BASE}/oauth2/register`,
      code_challenge_methods_supported: ['S256'],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('shows the consent screen what the client asks, and whose business it is', async () => {
    const { request } = await authorize();
    const res = await t
      .http()
      .get('/api/v1/authorization-requests')
      .query({ request })
      .set(owner)
      .expect(200);
    expect(res.body.data).toMatchObject({
      client: { client_id: clientId, client_name: 'Acme Agent', verified: false },
      resource: { uri: resource, name: 'Notes MCP server' },
      business: { id: biz.id },
      scopes: [{ name: 'notes:read', description: 'Read your notes' }],
      redirect_uri: REDIRECT,
    });
  });

  it('allow gives a code with state and iss; the code gives a token for the resource alone', async () => {
    const { request } = await authorize();
    const back = await allow(request);
    expect(back.searchParams.get('state')).toBe('st-123');
    expect(back.searchParams.get('iss')).toBe(issuer());
    const tokens = await codeFlow();
    expect(tokens.scope).toBe('notes:read');
    await verify(tokens.access_token).expect(204);
    await verify(tokens.access_token, 'https://other.example.com/mcp').expect(401);
    // Not a credential for Latchkey's own API either: its audience is the resource.
    await t
      .http()
      .get('/api/v1/me')
      .set({ authorization: `Bearer ${tokens.access_token}`, 'x-business-id': biz.id })
      .expect(401);
  });

  it('deny sends the client access_denied with state and iss', async () => {
    const { request } = await authorize();
    const res = await t
      .http()
      .post('/api/v1/authorization-requests/decision')
      .set(owner)
      .send({ request, decision: 'deny' })
      .expect(201);
    const back = new URL(res.body.data.redirect_to as string);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('iss')).toBe(issuer());
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('a refresh token is used once; a second use ends the grant and revokes its tokens', async () => {
    const first = await codeFlow();
    const next = await token({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: first.refresh_token,
    }).expect(200);
    await verify(next.body.access_token).expect(204);
    const reused = await token({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: first.refresh_token,
    }).expect(400);
    expect(reused.body.error).toBe('invalid_grant');
    await verify(first.access_token).expect(401);
    await verify(next.body.access_token).expect(401);
    await token({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: next.body.refresh_token,
    }).expect(400);
  });

  it('withdrawing the connected app revokes its tokens at once', async () => {
    const tokens = await codeFlow();
    const apps = await t.http().get('/api/v1/connected-apps').set(owner).expect(200);
    const app = apps.body.data.items.find(
      (a: { client_id: string; resource: string }) =>
        a.client_id === clientId && a.resource === resource,
    );
    expect(app.scopes).toEqual(['notes:read']);
    const res = await t.http().delete(`/api/v1/connected-apps/${app.id}`).set(owner).expect(200);
    expect(res.body.data.revoked_tokens).toBeGreaterThan(0);
    await verify(tokens.access_token).expect(401);
    await token({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: tokens.refresh_token,
    }).expect(400);
  });
});

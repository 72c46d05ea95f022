import { GrantsSweep } from '../../src/authorization/grants/grants-sweep';
import { businessCounts, countsOf, flush } from '../analytics/analytics-api';
import { BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { uniqueLabel } from '../factories/unique';
import { asOwner, Caller } from '../harness/app/api';
import { TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import {
  BASE,
  bootAuthorizationServer,
  FlowDriver,
  REDIRECT,
  registerClient,
  registerResource,
} from './connected-apps-fixtures';

/**
 * The authorization code flow through the real app, as a client and a person run it over HTTP:
 * discovery, authorization, the console's consent API, the token endpoint, a refresh, a refresh
 * reused, and a connected app withdrawn. The browser's part is the console's own suite.
 */
describe.each(DRIVERS)('connected apps flow on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let owner: Caller;
  let flow: FlowDriver;

  beforeAll(async () => {
    t = await bootAuthorizationServer(driver);
    biz = await createUnexpiringBusiness(t, uniqueLabel('agents'));
    owner = asOwner(biz);
    flow = new FlowDriver(t, biz, await registerClient(t), await registerResource(t, biz));
  });
  afterAll(() => t.close());

  it('publishes the business as an authorization server (RFC 8414 §3.1)', async () => {
    const res = await t
      .http()
      .get(`/.well-known/oauth-authorization-server/oauth2/businesses/${biz.id}`)
      .expect(200);
    const issuer = flow.issuer();
    expect(res.body).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${BASE}/oauth2/register`,
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('shows the consent screen what the client asks, and whose business it is', async () => {
    const { request } = await flow.authorize();
    const res = await t
      .http()
      .get('/api/v1/authorization-requests')
      .query({ request })
      .set(owner)
      .expect(200);
    expect(res.body.data).toMatchObject({
      client: { client_id: flow.clientId, client_name: 'Acme Agent', verified: false },
      resource: { uri: flow.resource, name: 'Notes MCP server' },
      business: { id: biz.id },
      scopes: [{ name: 'notes:read', description: 'Read your notes' }],
      redirect_uri: REDIRECT,
    });
  });

  it('allow gives a code with state and iss; the code gives a token for the resource alone', async () => {
    const { request, verifier } = await flow.authorize();
    const res = await flow.decide(request, owner).expect(201);
    const back = new URL(res.body.data.redirect_to as string);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-123');
    expect(back.searchParams.get('iss')).toBe(flow.issuer());
    const answer = await flow
      .token(flow.codeBody(back.searchParams.get('code')!, verifier))
      .expect(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toEqual({
      access_token: expect.stringMatching(/^lk_/),
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: expect.stringMatching(/^lkr_/),
      scope: 'notes:read',
    });
    await flow.verify(answer.body.access_token).expect(204);
    await flow.verify(answer.body.access_token, 'https://other.example.com/mcp').expect(401);
    // Not a credential for Latchkey's own API either: its audience is the resource.
    await t
      .http()
      .get('/api/v1/me')
      .set({ authorization: `Bearer ${answer.body.access_token}`, 'x-business-id': biz.id })
      .expect(401);
  });

  it('remembers a consent: the same client asking for no more is shown as remembered', async () => {
    await flow.codeFlow();
    const { request } = await flow.authorize();
    const res = await t
      .http()
      .get('/api/v1/authorization-requests')
      .query({ request })
      .set(owner)
      .expect(200);
    expect(res.body.data.remembered).toBe(true);
    const wider = await flow.authorize({ scope: 'notes:read notes:write' });
    const asked = await t
      .http()
      .get('/api/v1/authorization-requests')
      .query({ request: wider.request })
      .set(owner)
      .expect(200);
    expect(asked.body.data.remembered).toBe(false);
  });

  it('deny sends the client access_denied with state and iss, and no code', async () => {
    const { request } = await flow.authorize();
    const res = await flow.decide(request, owner, 'deny').expect(201);
    const back = new URL(res.body.data.redirect_to as string);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('st-123');
    expect(back.searchParams.get('iss')).toBe(flow.issuer());
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('a refresh gives a new pair; the old refresh token used again ends the whole line', async () => {
    const first = await flow.codeFlow();
    const next = await flow.token(flow.refreshBody(first.refresh_token)).expect(200);
    expect(next.body.refresh_token).not.toBe(first.refresh_token);
    await flow.verify(next.body.access_token).expect(204);
    const reused = await flow.token(flow.refreshBody(first.refresh_token)).expect(400);
    expect(reused.body).toEqual({
      error: 'invalid_grant',
      error_description: 'The refresh token is not valid',
    });
    await flow.verify(first.access_token).expect(401);
    await flow.verify(next.body.access_token).expect(401);
    await flow.token(flow.refreshBody(next.body.refresh_token)).expect(400);
    const audit = await t.sql<{ action: string; metadata: string }>(
      "SELECT action, metadata FROM audit_events WHERE business_id = ? AND action LIKE 'oauth_grant.%' ORDER BY seq",
      [biz.id],
    );
    const actions = audit.map((a) => a.action);
    expect(actions).toContain('oauth_grant.refresh_reused');
    const ended = audit.filter((a) => a.action === 'oauth_grant.ended').map((a) => a.metadata);
    expect(ended.some((m) => m.includes('refresh_reused'))).toBe(true);
  });

  it('withdrawing the connected app revokes its tokens at once, and its refresh tokens', async () => {
    const tokens = await flow.codeFlow();
    const apps = await t.http().get('/api/v1/connected-apps').set(owner).expect(200);
    const app = apps.body.data.items.find(
      (a: { client_id: string; resource: string }) =>
        a.client_id === flow.clientId && a.resource === flow.resource,
    );
    expect(app.scopes).toEqual(expect.arrayContaining(['notes:read']));
    const res = await t.http().delete(`/api/v1/connected-apps/${app.id}`).set(owner).expect(200);
    expect(res.body.data.revoked_tokens).toBeGreaterThan(0);
    await flow.verify(tokens.access_token).expect(401);
    await flow.token(flow.refreshBody(tokens.refresh_token)).expect(400);
    await t.http().delete(`/api/v1/connected-apps/${app.id}`).set(owner).expect(404);
  });

  it("counts a connected app's verifications by the client its tokens were issued to", async () => {
    const tokens = await flow.codeFlow();
    for (let i = 0; i < 3; i++) await flow.verify(tokens.access_token).expect(204);
    await t.http().get('/api/v1/me').set(owner).expect(200);
    await flush(t);
    const answer = await businessCounts(t, owner, {
      granularity: 'minute',
      group_by: 'outcome,oauth_client',
    });
    const counts = countsOf(answer);
    const app = counts.filter((c) => c.oauth_client === flow.clientId && c.outcome === 'valid');
    expect(app.reduce((n, c) => n + c.count, 0)).toBeGreaterThanOrEqual(3);
    expect(counts.some((c) => c.oauth_client === null)).toBe(true);
    // The export takes the same grouping, a column of its own.
    const csv = await t
      .http()
      .get('/api/v1/analytics/verifications/export')
      .query({ format: 'csv', granularity: 'minute', group_by: 'oauth_client' })
      .set(owner)
      .expect(200);
    expect(csv.text.split('\r\n')[0]).toBe('start,oauth_client,count');
    expect(csv.text).toContain(flow.clientId);
  });

  it('sweeps refresh tokens past their days, and the grants none continues; consents stay', async () => {
    await flow.codeFlow();
    const count = async (table: string) =>
      (
        await t.sql<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE business_id = ?`, [
          biz.id,
        ])
      )[0].n;
    expect(Number(await count('oauth_refresh_tokens'))).toBeGreaterThan(0);
    const sweep = t.app.get(GrantsSweep);
    // A day on, nothing has expired; thirty-one days on, every refresh token of the suite has.
    await sweep.runTurn(new Date(Date.now() + 86_400_000));
    expect(Number(await count('oauth_refresh_tokens'))).toBeGreaterThan(0);
    expect(await sweep.runTurn(new Date(Date.now() + 31 * 86_400_000))).toBeGreaterThan(0);
    expect(Number(await count('oauth_refresh_tokens'))).toBe(0);
    expect(Number(await count('oauth_grants'))).toBe(0);
    const apps = await t.http().get('/api/v1/connected-apps').set(owner).expect(200);
    expect(apps.body.data.items.length).toBeGreaterThan(0);
  });
});

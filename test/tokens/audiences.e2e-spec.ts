import {
  type BusinessFixture,
  createToken,
  createUnexpiringBusiness,
  type IssuedToken,
} from '../factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  type Caller,
  listAuditEvents,
  postToken,
  rotate,
} from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { cliInProcess } from '../harness/app/cli';
import { tokenIdOf } from '../harness/app/db';
import { asDpop, dpopKey, dpopProof } from '../harness/app/dpop';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { RejectedUseRecorder } from '../../src/tokens/verify/rejected-use-recorder';

const BASE = 'https://latchkey.example.com';
const ORDERS = 'https://orders.example.com';
const BILLING = 'https://billing.example.com';
const SECRET = 'gw-secret-audience-7f31c0d2a9';

/**
 * Tokens bound to their audiences (RFC 8707): taken by the API only when PUBLIC_BASE_URL is among
 * them, and by a gateway only when the resource it names (X-Latchkey-Resource, believed from a
 * trusted gateway alone) is. Every refusal is 401 invalid_token, recorded as a refused use.
 */
describe.each(DRIVERS)('tokens bound to audiences, on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let orders: IssuedToken;
  let both: IssuedToken;
  beforeAll(async () => {
    t = await bootTestApp(driver, { PUBLIC_BASE_URL: BASE, VERIFY_GATEWAY_SECRET: SECRET });
    biz = await createUnexpiringBusiness(t);
    orders = await createToken(t, asOwner(biz), { name: 'orders', audiences: [`${ORDERS}/`] });
    both = await createToken(t, asOwner(biz), { name: 'both', audiences: [BASE, ORDERS] });
  });
  afterAll(() => t?.close());

  const me = (caller: Caller) => t.http().get('/api/v1/me').set(caller);
  const verifyAt = (token: string, resource?: string, secret: string | null = SECRET) =>
    t
      .http()
      .get('/auth/verify')
      .set({
        ...asBearer(token),
        ...(secret === null ? {} : { 'x-latchkey-gateway-secret': secret }),
        ...(resource === undefined ? {} : { 'x-latchkey-resource': resource }),
      });

  it('keeps the audiences canonical and shows them, and refuses what is no resource URI', async () => {
    expect(orders.view.audiences).toEqual([ORDERS]);
    for (const audiences of [[], ['ftp://x.example.com'], [`${ORDERS}/#f`], ['a'.repeat(300)]]) {
      const res = await postToken(t, asOwner(biz), { name: 'bad', audiences }).expect(422);
      expect(res.body.detail[0].loc).toEqual(['body', 'audiences']);
    }
    const six = [1, 2, 3, 4, 5, 6].map((i) => `${ORDERS}/${i}`);
    await postToken(t, asOwner(biz), { name: 'six', audiences: six }).expect(422);
  });

  it('the API takes a token only when its own resource is among the audiences', async () => {
    expectError(await me(asMember(orders.secret, biz.id)), 401, 'INVALID_TOKEN');
    expect((await me(asMember(both.secret, biz.id))).status).toBe(200);
  });

  it('a gateway takes a token only at a resource among its audiences, named by a trusted gateway', async () => {
    expect((await verifyAt(orders.secret, ORDERS)).status).toBe(204);
    expect((await verifyAt(orders.secret, `${ORDERS}/`)).status).toBe(204);
    expectError(await verifyAt(orders.secret, BILLING), 401, 'INVALID_TOKEN');
    expectError(await verifyAt(orders.secret), 401, 'INVALID_TOKEN');
    expectError(await verifyAt(orders.secret, 'not a uri'), 401, 'INVALID_TOKEN');
    // A caller that is not the gateway is refused before its header is read.
    expect((await verifyAt(orders.secret, ORDERS, 'wrong-secret-0123456789')).status).toBe(403);
    // A token with no audiences is taken whatever the gateway serves.
    const anywhere = await createToken(t, asOwner(biz), { name: 'anywhere' });
    expect((await verifyAt(anywhere.secret, BILLING)).status).toBe(204);
  });

  it('records each refusal as a refused use, reason audience', async () => {
    const token = await createToken(t, asOwner(biz), { name: 'recorded', audiences: [BILLING] });
    expectError(await me(asMember(token.secret, biz.id)), 401, 'INVALID_TOKEN');
    // Recorded in a unit of work of its own, after the answer.
    await t.app.get(RejectedUseRecorder).settle();
    const events = await listAuditEvents(t, asOwner(biz), {
      action: 'token.rejected',
      target_id: token.id,
    }).expect(200);
    expect(events.body.data.items.map((e: { metadata: object }) => e.metadata)).toEqual([
      expect.objectContaining({ reason: 'audience' }),
    ]);
  });

  it('a DPoP-bound token outside its audiences is refused with the DPoP challenge', async () => {
    const key = await dpopKey();
    const bound = await createToken(t, asOwner(biz), {
      name: 'bound',
      audiences: [ORDERS],
      dpop_jkt: key.jkt,
    });
    const proof = await dpopProof(key, { method: 'GET', url: '/api/v1/me', token: bound.secret });
    const res = await me(asDpop(bound.secret, proof, biz.id));
    expectError(res, 401, 'INVALID_TOKEN');
    expect(res.headers['www-authenticate']).toMatch(/^DPoP error="invalid_token"/);
  });

  it('what a bound token makes stays within its audiences; a rotation keeps them', async () => {
    const maker = asMember(both.secret, biz.id);
    const refused = await postToken(t, maker, { name: 'wider', audiences: [BILLING] }).expect(422);
    expect(refused.body).toMatchObject({ code: 'CONSTRAINTS_EXCEED_MAKER' });
    expect(refused.body.detail[0].loc).toEqual(['body', 'audiences']);
    const inherited = await createToken(t, maker, { name: 'child' });
    expect(inherited.view.audiences).toEqual([BASE, ORDERS]);
    const narrower = await createToken(t, maker, { name: 'narrow', audiences: [ORDERS] });
    expect(narrower.view.audiences).toEqual([ORDERS]);
    const rotated = await rotate(t, asOwner(biz), orders.id).expect(201);
    expect(rotated.body.data.audiences).toEqual([ORDERS]);
  });

  it('introspection names them as aud', async () => {
    const introspector = await createToken(t, asOwner(biz), { scopes: ['introspect'] });
    const res = await t
      .http()
      .post('/oauth2/introspect')
      .set(asMember(introspector.secret, biz.id))
      .send({ token: both.secret })
      .expect(200);
    expect(res.body).toMatchObject({ active: true, aud: [BASE, ORDERS] });
  });

  it('the CLI binds a token with --audiences', async () => {
    const made = await cliInProcess(
      [
        'tokens',
        'create',
        '--business',
        biz.id,
        '--email',
        biz.ownerEmail,
        '--name',
        'cli',
        '--audiences',
        `${ORDERS},${BILLING}/`,
      ],
      t.db.env,
    );
    expect(made.code).toBe(0);
    const id = await tokenIdOf(t, made.stdout.trim());
    const view = await t.http().get(`/api/v1/tokens/${id}`).set(asOwner(biz)).expect(200);
    expect(view.body.data.audiences).toEqual([ORDERS, BILLING]);
  });
});

import { randomUUID } from 'node:crypto';
import {
  type BusinessFixture,
  createMachine,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asDpop, dpopKey, type DpopKey, dpopProof } from '../harness/app/dpop';
import { asOwner, getToken } from '../harness/app/api';
import { putPolicy } from '../harness/app/token-policy';
import { tokenIdOf } from '../harness/app/db';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { githubRule, postRule } from './federation-fixtures';
import { exchangeForm, githubClaims, type IssuerKey, makeKey, sign } from './oidc-issuer';

const BASE = 'https://latchkey.example.com';
const ORDERS = 'https://orders.example.com';

/**
 * What the exchange binds its token to: the resources it is for (RFC 8707 `resource`, which may
 * be repeated beside the business's URN), and the key a DPoP proof on the request shows (RFC
 * 9449 §5), which a trust rule or the business's policy may require.
 */
describe.each(DRIVERS)('the token exchange binds its token, on %s', (driver) => {
  let t: TestApp;
  let key: IssuerKey;
  let biz: BusinessFixture;
  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_OAUTH_PER_MINUTE: '0', PUBLIC_BASE_URL: BASE });
    key = await makeKey('ES256');
    biz = await createUnexpiringBusiness(t);
    const machine = await createMachine(t, biz, 'member');
    await postRule(t, asOwner(biz), machine.id, githubRule(key)).expect(201);
  });
  afterAll(() => t?.close());
  let dpop: DpopKey;
  beforeAll(async () => {
    dpop = await dpopKey('EdDSA');
  });
  const proofOfExchange = (over: { url?: string; jti?: string } = {}) =>
    dpopProof(dpop, {
      method: 'POST',
      url: over.url ?? '/oauth2/token',
      token: null,
      jti: over.jti,
    });

  /** POST /oauth2/token with the form's fields, then `resource` as often as given. */
  async function exchangeFor(resources: string[], headers: Record<string, string> = {}) {
    const form = new URLSearchParams(exchangeForm(await sign(key, githubClaims())));
    for (const r of resources) form.append('resource', r);
    return t.http().post('/oauth2/token').type('form').set(headers).send(form.toString());
  }
  const viewOf = async (secret: string) =>
    (await getToken(t, asOwner(biz), await tokenIdOf(t, secret)).expect(200)).body.data;

  it('binds the token to each http(s) resource, canonical, beside the business named by its URN', async () => {
    const urn = `urn:latchkey:business:${biz.id}`;
    const res = await exchangeFor([`${ORDERS}/`, urn, 'HTTPS://Billing.Example.com/v1', ORDERS]);
    expect(res.status).toBe(200);
    expect((await viewOf(res.body.access_token)).audiences).toEqual([
      ORDERS,
      'https://billing.example.com/v1',
    ]);
  });

  it('with no http(s) resource, the token may be used anywhere', async () => {
    const res = await exchangeFor([], { 'x-business-id': biz.id });
    expect(res.status).toBe(200);
    expect((await viewOf(res.body.access_token)).audiences).toBeNull();
  });

  const other = `urn:latchkey:business:${randomUUID()}`;
  it.each([
    ['two businesses', 'invalid_target', (own: string) => [own, other]],
    ['another URN', 'invalid_target', () => ['urn:example:api']],
    ['a URI with a fragment', 'invalid_target', () => [`${ORDERS}/#frag`]],
    [
      'seven resources',
      'invalid_request',
      () => [1, 2, 3, 4, 5, 6, 7].map((i) => `${ORDERS}/${i}`),
    ],
    ['an empty one', 'invalid_request', () => [ORDERS, '']],
  ])('%s: 400 %s, and no token made', async (_case, error, resources) => {
    const before = await t.sql('SELECT id FROM api_tokens');
    const res = await exchangeFor(resources(`urn:latchkey:business:${biz.id}`), {
      'x-business-id': biz.id,
    });
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 400, error });
    expect((await t.sql('SELECT id FROM api_tokens')).length).toBe(before.length);
  });

  it('with a DPoP proof: a token of type DPoP bound to its key, which speaks only with a proof', async () => {
    const res = await exchangeFor([], { 'x-business-id': biz.id, dpop: await proofOfExchange() });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    const token = res.body.access_token as string;
    expect((await viewOf(token)).dpop_jkt).toBe(dpop.jkt);
    const me = (caller: Record<string, string>) =>
      t
        .http()
        .get('/api/v1/me')
        .set({ ...caller, 'x-business-id': biz.id });
    expect((await me({ authorization: `Bearer ${token}` })).status).toBe(401);
    const proof = await dpopProof(dpop, { method: 'GET', url: '/api/v1/me', token });
    expect((await me(asDpop(token, proof))).status).toBe(200);
  });

  it.each([
    ['a proof for another URL', () => proofOfExchange({ url: '/oauth2/introspect' })],
    ['a header that is no proof', () => Promise.resolve('not.a.proof')],
  ])('%s: 400 invalid_dpop_proof, and no token made', async (_case, proof) => {
    const before = (await t.sql('SELECT id FROM api_tokens')).length;
    const res = await exchangeFor([], { 'x-business-id': biz.id, dpop: await proof() });
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 400,
      error: 'invalid_dpop_proof',
    });
    expect((await t.sql('SELECT id FROM api_tokens')).length).toBe(before);
  });

  it('a proof replayed on a second exchange is refused', async () => {
    const proof = await proofOfExchange();
    const first = await exchangeFor([], { 'x-business-id': biz.id, dpop: proof });
    expect(first.status).toBe(200);
    const again = await exchangeFor([], { 'x-business-id': biz.id, dpop: proof });
    expect({ status: again.status, error: again.body.error }).toEqual({
      status: 400,
      error: 'invalid_dpop_proof',
    });
  });
});

/** A trust rule's `require_dpop`, and the business policy's, at the token endpoint. */
describe.each(DRIVERS)('the token exchange when a key is required, on %s', (driver) => {
  let t: TestApp;
  let key: IssuerKey;
  let dpop: DpopKey;
  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_OAUTH_PER_MINUTE: '0', PUBLIC_BASE_URL: BASE });
    key = await makeKey('RS256');
    dpop = await dpopKey();
  });
  afterAll(() => t?.close());

  /** A business whose machine trusts `key`, under `rule`'s extra fields. */
  async function businessWith(rule: Record<string, unknown>) {
    const biz = await createUnexpiringBusiness(t);
    const machine = await createMachine(t, biz, 'member');
    await postRule(t, asOwner(biz), machine.id, githubRule(key, rule)).expect(201);
    return { biz, machine };
  }
  const exchange = async (bizId: string, headers: Record<string, string> = {}) =>
    t
      .http()
      .post('/oauth2/token')
      .type('form')
      .set({ 'x-business-id': bizId, ...headers })
      .send(new URLSearchParams(exchangeForm(await sign(key, githubClaims()))).toString());
  const proof = () => dpopProof(dpop, { method: 'POST', url: '/oauth2/token', token: null });

  it.each([
    ['a trust rule with require_dpop', { require_dpop: true }, null],
    ['a business policy binding every token', {}, 'all'],
    ['a business policy binding machines’ tokens', {}, 'machines'],
  ])(
    '%s: refused with no proof (invalid_dpop_proof, no token made), bound with one',
    async (_case, rule, policy) => {
      const { biz, machine } = await businessWith(rule);
      if (policy) await putPolicy(t, asOwner(biz), { require_dpop: policy }).expect(200);
      const refused = await exchange(biz.id);
      expect({ status: refused.status, error: refused.body.error }).toEqual({
        status: 400,
        error: 'invalid_dpop_proof',
      });
      expect(await t.sql('SELECT id FROM api_tokens WHERE identity_id = ?', [machine.id])).toEqual(
        [],
      );
      const bound = await exchange(biz.id, { dpop: await proof() });
      expect(bound.status).toBe(200);
      expect(bound.body.token_type).toBe('DPoP');
    },
  );
});

/** RFC 9449 §8 at the token endpoint: with DPOP_NONCE_REQUIRED, a proof names a nonce it was given. */
describe.each(DRIVERS)('the token exchange with server nonces, on %s', (driver) => {
  let t: TestApp;
  let key: IssuerKey;
  let dpop: DpopKey;
  let bizId: string;
  beforeAll(async () => {
    t = await bootTestApp(driver, {
      RATE_LIMIT_OAUTH_PER_MINUTE: '0',
      PUBLIC_BASE_URL: BASE,
      DPOP_NONCE_REQUIRED: 'true',
    });
    key = await makeKey('ES256');
    dpop = await dpopKey();
    const biz = await createUnexpiringBusiness(t);
    const machine = await createMachine(t, biz, 'member');
    await postRule(t, asOwner(biz), machine.id, githubRule(key)).expect(201);
    bizId = biz.id;
  });
  afterAll(() => t?.close());

  const exchange = async (nonce?: string) =>
    t
      .http()
      .post('/oauth2/token')
      .type('form')
      .set({
        'x-business-id': bizId,
        dpop: await dpopProof(dpop, {
          method: 'POST',
          url: '/oauth2/token',
          token: null,
          claims: { nonce },
        }),
      })
      .send(new URLSearchParams(exchangeForm(await sign(key, githubClaims()))).toString());

  it('asks a proof without a nonce for one (use_dpop_nonce, DPoP-Nonce), and takes the retry', async () => {
    const first = await exchange();
    expect({ status: first.status, error: first.body.error }).toEqual({
      status: 400,
      error: 'use_dpop_nonce',
    });
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const retry = await exchange(nonce);
    expect(retry.status).toBe(200);
    expect(retry.body.token_type).toBe('DPoP');
    expect(retry.headers['dpop-nonce']).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect((await exchange('forged-nonce-0123456789abcdef')).body.error).toBe('use_dpop_nonce');
  });
});

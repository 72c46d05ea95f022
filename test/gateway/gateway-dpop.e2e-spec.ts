import { createBusiness, createToken, type IssuedToken } from '../factories/tenancy.factory';
import { asOwner, type Caller } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { asDpop, dpopKey, type DpopKey, dpopProof } from '../harness/app/dpop';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const SECRET = 'gw-secret-dpop-3c9e0a51f7b2';
const ORDERS = 'https://api.example.com/orders/17';

/** How nginx's auth_request (X-Original-*) and Caddy's forward_auth (X-Forwarded-*) tell it. */
const NGINX = {
  'x-original-method': 'GET',
  'x-original-uri': '/orders/17?page=2',
  'x-forwarded-host': 'api.example.com',
  'x-forwarded-proto': 'https',
};
const CADDY = {
  'x-forwarded-method': 'GET',
  'x-forwarded-uri': '/orders/17?page=2',
  'x-forwarded-host': 'api.example.com',
  'x-forwarded-proto': 'https',
};

/**
 * `GET /auth/verify` with a DPoP-bound token: the proof names the client's request to the API
 * behind the gateway, which the gateway tells in its headers; those are believed only from a
 * gateway the installation trusts (TRUST_PROXY's peer, or VERIFY_GATEWAY_SECRET), so a client
 * that calls Latchkey directly and writes them itself changes nothing.
 */
describe.each(DRIVERS)('GET /auth/verify with DPoP-bound tokens on %s', (driver) => {
  let key: DpopKey;
  beforeAll(async () => {
    key = await dpopKey();
  });
  const proofFor = (token: IssuedToken, url = ORDERS, method = 'GET') =>
    dpopProof(key, { method, url, token: token.secret });

  describe('behind a gateway TRUST_PROXY names', () => {
    let t: TestApp;
    let bound: IssuedToken;
    beforeAll(async () => {
      t = await bootTestApp(driver, { TRUST_PROXY: '127.0.0.1' });
      const biz = await createBusiness(t);
      bound = await createToken(t, asOwner(biz), { dpop_jkt: key.jkt });
    });
    afterAll(() => t?.close());
    const verify = (caller: Caller) => t.http().get('/auth/verify').set(caller);

    it.each([
      ['nginx', NGINX],
      ['Caddy', CADDY],
    ])('passes a proof of the request %s tells of', async (_gw, told) => {
      const res = await verify({ ...asDpop(bound.secret, await proofFor(bound)), ...told });
      expect(res.status).toBe(204);
      expect(res.headers['x-latchkey-token-id']).toBe(bound.id);
    });

    it('refuses a proof of another request, one with no request told, and the token as Bearer', async () => {
      const other = await proofFor(bound, 'https://api.example.com/admin');
      expectError(
        await verify({ ...asDpop(bound.secret, other), ...NGINX }),
        401,
        'INVALID_DPOP_PROOF',
      );
      const post = await proofFor(bound, ORDERS, 'POST');
      expectError(
        await verify({ ...asDpop(bound.secret, post), ...NGINX }),
        401,
        'INVALID_DPOP_PROOF',
      );
      const untold = await verify(asDpop(bound.secret, await proofFor(bound)));
      expectError(untold, 401, 'INVALID_DPOP_PROOF');
      const bearer = await verify({ authorization: `Bearer ${bound.secret}`, ...NGINX });
      expectError(bearer, 401, 'INVALID_TOKEN');
      expect(bearer.headers['www-authenticate']).toMatch(/^DPoP error="invalid_token"/);
    });

    it('takes each proof once', async () => {
      const proof = await proofFor(bound);
      expect((await verify({ ...asDpop(bound.secret, proof), ...NGINX })).status).toBe(204);
      const again = await verify({ ...asDpop(bound.secret, proof), ...NGINX });
      expectError(again, 401, 'INVALID_DPOP_PROOF');
    });
  });

  describe('called directly, by a client that writes the gateway headers itself', () => {
    let t: TestApp;
    let bound: IssuedToken;
    beforeAll(async () => {
      // No proxy trusted and no gateway secret: every caller is a client.
      t = await bootTestApp(driver, { TRUST_PROXY: 'false' });
      const biz = await createBusiness(t);
      bound = await createToken(t, asOwner(biz), { dpop_jkt: key.jkt });
    });
    afterAll(() => t?.close());

    it('believes none of them: a proof of the request it names is refused', async () => {
      for (const told of [NGINX, CADDY]) {
        const res = await t
          .http()
          .get('/auth/verify')
          .set({ ...asDpop(bound.secret, await proofFor(bound)), ...told });
        expectError(res, 401, 'INVALID_DPOP_PROOF');
      }
    });
  });

  describe('behind a gateway that sends VERIFY_GATEWAY_SECRET', () => {
    let t: TestApp;
    let bound: IssuedToken;
    beforeAll(async () => {
      t = await bootTestApp(driver, { VERIFY_GATEWAY_SECRET: SECRET });
      const biz = await createBusiness(t);
      bound = await createToken(t, asOwner(biz), { dpop_jkt: key.jkt });
    });
    afterAll(() => t?.close());

    it('believes the request told with the secret, and answers a caller without it 403', async () => {
      const withSecret = {
        ...asDpop(bound.secret, await proofFor(bound)),
        ...NGINX,
        'x-latchkey-gateway-secret': SECRET,
      };
      expect((await t.http().get('/auth/verify').set(withSecret)).status).toBe(204);
      const without = { ...asDpop(bound.secret, await proofFor(bound)), ...NGINX };
      expectError(await t.http().get('/auth/verify').set(without), 403, 'GATEWAY_NOT_TRUSTED');
    });
  });
});

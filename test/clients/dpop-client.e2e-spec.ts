import { generateKeyPair } from 'jose';
import type { AddressInfo } from 'node:net';
import { createLatchkeyClient } from '../../clients/typescript';
import { type DpopKeyPair, dpopMiddleware, dpopThumbprint } from '../../clients/typescript/dpop';
import { createBusiness } from '../factories/tenancy.factory';
import { bootTestApp, type TestApp } from '../harness/app/test-app';

/**
 * The typed client with a key-bound token (RFC 9449): `dpopMiddleware` signs a fresh proof for
 * every request, so a bound token is used as a bearer one is; the same client without it is
 * refused, as anyone holding the string alone would be.
 */
describe('the typed client with a DPoP-bound token', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await bootTestApp('sqlite');
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  it.each(['ES256', 'EdDSA'] as const)('makes and uses a token bound to an %s key', async (alg) => {
    const biz = await createBusiness(t);
    const key: DpopKeyPair = { ...(await generateKeyPair(alg)), alg };
    const owner = createLatchkeyClient(base, { token: biz.ownerToken, businessId: biz.id });
    const made = await owner.POST('/api/v1/tokens', {
      body: { name: `bound ${alg}`, dpop_jkt: await dpopThumbprint(key) },
    });
    expect(made.response.status).toBe(201);
    const secret = made.data!.data.token;

    const bound = createLatchkeyClient(base, { token: secret, businessId: biz.id });
    const refused = await bound.GET('/api/v1/me');
    expect(refused.response.status).toBe(401);
    expect(refused.response.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);

    bound.use(await dpopMiddleware(secret, key));
    for (let i = 0; i < 3; i++) {
      const me = await bound.GET('/api/v1/me');
      expect(me.response.status).toBe(200);
      expect(me.data!.data.token.dpop_jkt).toBe(await dpopThumbprint(key));
    }
    const rotated = await bound.POST('/api/v1/tokens/{token_id}/rotate', {
      params: { path: { token_id: made.data!.data.id } },
      body: { grace_period_seconds: 0 },
    });
    expect(rotated.response.status).toBe(201);
    expect(rotated.data!.data.dpop_jkt).toBe(await dpopThumbprint(key));
  });
});

import { EdgeVerifier } from '../../packages/client/src/verifier';
import { createToken, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { freePort } from '../harness/ports';

const SECRET = 'gateway-secret-for-edge-limits';

/**
 * The EdgeVerifier and a business's shared limits, against the real app: a check counted against
 * a limit is asked online every time (the status list cannot count), a spent one is
 * `rate_limited` with Latchkey's code, and a check may name its limit (`limit`) only with the
 * gateway secret.
 */
describe(`${EdgeVerifier.name} and shared limits`, () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await bootTestApp('sqlite', { PUBLIC_BASE_URL: base, VERIFY_GATEWAY_SECRET: SECRET });
    await t.app.listen(port, '127.0.0.1');
  });
  afterAll(() => t?.close());

  const put = async (ownerToken: string, businessId: string, name: string, body: object) => {
    const biz = { id: businessId, ownerToken };
    await t.http().put(`/api/v1/limits/${name}`).set(asOwner(biz)).send(body).expect(200);
  };

  it('asks Latchkey every time while default counts, and refuses once it is spent', async () => {
    const biz = await createUnexpiringBusiness(t);
    const { secret } = await createToken(t, asOwner(biz), { name: 'edge' });
    await put(biz.ownerToken, biz.id, 'default', { window: 'minute', per_business: 3 });
    const sut = new EdgeVerifier({ baseUrl: base, gatewaySecret: SECRET });

    const results = [];
    for (let i = 0; i < 4; i++) results.push(await sut.verify(secret));

    expect(results.map((r) => (r.valid ? r.source : r.reason))).toEqual([
      'online',
      'online',
      'online',
      'rate_limited',
    ]);
    expect(results[3]).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(sut.stats()).toMatchObject({ onlineVerifies: 4, cacheHits: 0 });
  });

  it('counts a check against the limit it names, apart from default', async () => {
    const biz = await createUnexpiringBusiness(t);
    const { secret } = await createToken(t, asOwner(biz), { name: 'edge' });
    await put(biz.ownerToken, biz.id, 'exports', { window: 'hour', per_identity: 1 });
    const sut = new EdgeVerifier({ baseUrl: base, gatewaySecret: SECRET });

    expect(await sut.verify(secret)).toMatchObject({ valid: true });
    expect(await sut.verify(secret, { limit: 'exports' })).toMatchObject({ valid: true });
    expect(await sut.verify(secret, { limit: 'exports' })).toMatchObject({
      valid: false,
      reason: 'rate_limited',
      code: 'RATE_LIMITED',
    });
    // With no default, a check naming none counts against nothing: still asked online, as the
    // last answer (one counted) said to, and then Latchkey says the list may decide again.
    expect(await sut.verify(secret)).toMatchObject({ valid: true, source: 'online' });
    expect(await sut.verify(secret)).toMatchObject({ valid: true, source: 'list' });
  });

  it('is refused a named limit without the gateway secret, and refuses a bad name itself', async () => {
    const port = await freePort();
    const open = await bootTestApp('sqlite', { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` });
    await open.app.listen(port, '127.0.0.1');
    try {
      const biz = await createUnexpiringBusiness(open);
      const { secret } = await createToken(open, asOwner(biz), { name: 'edge' });
      const sut = new EdgeVerifier({ baseUrl: `http://127.0.0.1:${port}` });
      expect(await sut.verify(secret, { limit: 'exports' })).toMatchObject({
        valid: false,
        status: 403,
        code: 'GATEWAY_NOT_TRUSTED',
      });
      for (const limit of ['Exports', '', 'a b', 'x'.repeat(33)]) {
        await expect(sut.verify(secret, { limit })).rejects.toThrow(TypeError);
      }
    } finally {
      await open.close();
    }
  });
});

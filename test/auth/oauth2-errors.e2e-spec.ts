import { createToken, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asBearer, asOwner } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * `/oauth2/*` answers every error in the RFCs' own shape, `{error, error_description}` (RFC
 * 6749 §5.2, RFC 6750 §3.1), never in Latchkey's envelope. Before, a wrong content type on
 * /oauth2/revoke got a 415 in the envelope. 429 keeps the API's error shape, as the design says
 * for every route (rate-limit.e2e-spec.ts).
 */

const RFC_ERROR = (error: string) => ({ error, error_description: expect.any(String) });

describe.each(DRIVERS)('/oauth2/* errors on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

  const expectRfc = (
    res: { status: number; body: unknown; headers: Record<string, string> },
    status: number,
    error: string,
  ) => {
    expect({ status: res.status, body: res.body }).toEqual({ status, body: RFC_ERROR(error) });
    expect(res.headers['cache-control']).toBe('no-store');
  };

  it.each([
    ['a wrong content type', 'text/plain', 'token=x', 415],
    [
      'a body past 1 MiB',
      'application/json',
      JSON.stringify({ token: 'x'.repeat(1_100_000) }),
      413,
    ],
    ['malformed JSON', 'application/json', '{"token":', 400],
    ['no token', 'application/json', '{}', 400],
    ['a token of the wrong type', 'application/json', '{"token":5}', 400],
  ])('/oauth2/revoke: %s is %i in the RFC shape', async (_label, type, body, status) => {
    const res = await t.http().post('/oauth2/revoke').set('content-type', type).send(body);
    expectRfc(res, status, 'invalid_request');
  });

  it('/oauth2/introspect: no bearer, or a bad one, is 401 invalid_token with the challenge', async () => {
    for (const req of [
      t.http().post('/oauth2/introspect').send({ token: 'x' }),
      t.http().post('/oauth2/introspect').set(asBearer('lk_nope')).send({ token: 'x' }),
    ]) {
      const res = await req;
      expectRfc(res, 401, 'invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    }
  });

  it('/oauth2/introspect: a caller without the introspect scope is 403 insufficient_scope', async () => {
    const biz = await createUnexpiringBusiness(t);
    const caller = await createToken(t, asOwner(biz), { scopes: ['deploy:read'] });
    const res = await t
      .http()
      .post('/oauth2/introspect')
      .set(asBearer(caller.secret))
      .send({ token: 'x' });
    expectRfc(res, 403, 'insufficient_scope');
  });

  it('a URL past 16 KiB, refused by the HTTP parser before any route, is 431 in the RFC shape', async () => {
    const res = await t
      .http()
      .post('/oauth2/revoke')
      .query({ pad: 'a'.repeat(20_000) })
      .send({ token: 'x' });
    expect(res.status).toBe(431);
    expect(JSON.parse(res.text)).toEqual(RFC_ERROR('invalid_request'));
  });

  it('an unknown /oauth2 path is 404 in the RFC shape', async () => {
    expectRfc(await t.http().post('/oauth2/nope').send({}), 404, 'invalid_request');
  });
});

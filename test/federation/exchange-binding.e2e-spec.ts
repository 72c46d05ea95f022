import { randomUUID } from 'node:crypto';
import {
  type BusinessFixture,
  createMachine,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asOwner, getToken } from '../harness/app/api';
import { tokenIdOf } from '../harness/app/db';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { githubRule, postRule } from './federation-fixtures';
import { exchangeForm, githubClaims, type IssuerKey, makeKey, sign } from './oidc-issuer';

const BASE = 'https://latchkey.example.com';
const ORDERS = 'https://orders.example.com';

/**
 * What the exchange binds its token to: the resources it is for (RFC 8707 `resource`, which may
 * be repeated beside the business's URN).
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
});

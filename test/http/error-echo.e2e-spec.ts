import { mintSecret } from '../../src/tokens/token-secret';
import { BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asOwner, asPlatform, Caller } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * Errors say what is wrong, once, and echo nothing dangerous: `input` is clipped, and a token is
 * masked in every field, known or not. Before, a typo such as `{"tokn":"lk_…"}` got its live
 * token back in `extra_forbidden`, a 100,000-character name got a 100 KB answer, and a wrong
 * type got two or three messages, some of them misleading.
 */

interface Case {
  route: string;
  caller: (t: TestApp, biz: BusinessFixture) => Caller;
  body: Record<string, unknown>;
  loc: (string | number)[];
  msg: RegExp;
}

const owner = (_t: TestApp, biz: BusinessFixture) => asOwner(biz);
const platform = (t: TestApp) => asPlatform(t);

const WRONG_TYPES: Case[] = [
  {
    route: 'POST /api/v1/tokens',
    caller: owner,
    body: { name: 'n', scopes: 'deploy:*' },
    loc: ['body', 'scopes'],
    msg: /must be an array/,
  },
  {
    route: 'POST /api/v1/tokens',
    caller: owner,
    body: { name: 5 },
    loc: ['body', 'name'],
    msg: /must be a string/,
  },
  {
    route: 'POST /api/v1/tokens',
    caller: owner,
    body: { name: 'n', expires_in_days: '30' },
    loc: ['body', 'expires_in_days'],
    msg: /integer/,
  },
  {
    route: 'POST /api/v1/tokens/bulk-revoke',
    caller: owner,
    body: { all: true, reason: 5 },
    loc: ['body', 'reason'],
    msg: /must be a string/,
  },
  {
    route: 'POST /api/v1/members',
    caller: owner,
    body: { email: ['a@b.test'], role: 'member' },
    loc: ['body', 'email'],
    msg: /must be a string/,
  },
  {
    route: 'POST /platform/v1/businesses',
    caller: platform,
    body: { name: { n: 1 }, owner_email: 'o@b.test' },
    loc: ['body', 'name'],
    msg: /must be a string/,
  },
  {
    route: 'POST /platform/v1/tokens/revoke',
    caller: platform,
    body: { token: 'x', reason: 7 },
    loc: ['body', 'reason'],
    msg: /must be a string/,
  },
];

describe.each(DRIVERS)('error answers on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  const send = (c: Pick<Case, 'route' | 'caller' | 'body'>) => {
    const [method, path] = c.route.split(' ');
    return t.http()[method.toLowerCase() as 'post'](path).set(c.caller(t, biz)).send(c.body);
  };

  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  it.each(WRONG_TYPES)('$route $body: one message, naming the type', async (c) => {
    const res = await send(c);
    expect(res.status).toBe(422);
    const forField = (res.body.detail as { loc: unknown[] }[]).filter(
      (d) => JSON.stringify(d.loc) === JSON.stringify(c.loc),
    );
    expect(forField).toHaveLength(1);
    expect(res.body.detail).toHaveLength(1);
    expect(res.body.detail[0].msg).toMatch(c.msg);
  });

  it('a live token in a misspelt field never comes back: POST /platform/v1/tokens/revoke {"tokn"}', async () => {
    const secret = mintSecret('lk').secret;
    const res = await send({
      route: 'POST /platform/v1/tokens/revoke',
      caller: platform,
      body: { tokn: secret, token: 'lk_short', reason: `see ${secret}`.slice(0, 10) },
    });
    expect(res.status).toBe(422);
    expect(res.body.detail).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ loc: ['body', 'tokn'], type: 'extra_forbidden' }),
      ]),
    );
    expect(JSON.stringify(res.body)).not.toContain(secret);
    expect(JSON.stringify(res.body)).not.toContain(secret.slice(3, 30));
  });

  it('a token nested anywhere in an unknown field is masked too', async () => {
    const secret = mintSecret('lk').secret;
    const res = await send({
      route: 'POST /api/v1/tokens',
      caller: owner,
      body: { name: 'n', extra: { deep: [{ x: secret }] }, [`k`]: [secret] },
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).not.toContain(secret.slice(3, 30));
  });

  it('a 100,000-character name gets a small 422', async () => {
    const res = await send({
      route: 'POST /api/v1/tokens',
      caller: owner,
      body: { name: 'x'.repeat(100_000) },
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body).length).toBeLessThan(2_000);
    expect(res.body.detail[0].loc).toEqual(['body', 'name']);
  });
});

import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mintSecret } from '../../src/tokens/token-secret';
import { addMember, BusinessFixture, createBusiness } from '../factories/tenancy.factory';
import { asBearer, asMember, asOwner, asPlatform, listBusinesses, me } from '../harness/app/api';
import { expectRateLimited, limitCases, LIMITS_ENV } from '../harness/app/redis-shared-cases';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { describeIf, DRIVERS, TEST_REDIS_URL } from '../setup/servers';

// Each test speaks from addresses of its own (TRUST_PROXY honours X-Forwarded-For), so budgets
// never leak between tests, nor between runs that share one Redis.
const run = randomBytes(2);
let hosts = 0;
const freshIp = () => `198.${18 + (run[0] % 2)}.${run[1]}.${++hosts}`;

const unknownToken = () => mintSecret('lk').secret;

describe.each(DRIVERS)('Rate limits on %s', (driver) => {
  describe('per client IP: /oauth2/* and failed authentications', () => {
    let t: TestApp;
    let biz: BusinessFixture;
    beforeAll(async () => {
      t = await bootTestApp(driver, {
        TRUST_PROXY: '1',
        RATE_LIMIT_OAUTH_PER_MINUTE: '3',
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3',
        RATE_LIMIT_IDENTITY_PER_MINUTE: '0',
      });
      biz = await createBusiness(t);
    });
    afterAll(() => t?.close());

    const revoke = (ip: string) =>
      t.http().post('/oauth2/revoke').set('x-forwarded-for', ip).send({ token: unknownToken() });
    const introspect = (ip: string, callerToken = biz.ownerToken) =>
      t
        .http()
        .post('/oauth2/introspect')
        .set('x-forwarded-for', ip)
        .set('authorization', `Bearer ${callerToken}`)
        .send({ token: unknownToken() });
    /** GET /api/v1/me from `ip`, with `token` as the bearer (none when null). */
    const meFrom = (ip: string, token: string | null, businessId = biz.id) => {
      const req = t.http().get('/api/v1/me').set('x-forwarded-for', ip);
      if (token !== null) req.set('authorization', `Bearer ${token}`);
      return req.set('x-business-id', businessId);
    };

    it('answers 429 in the error shape on /oauth2/revoke once the IP spent its budget', async () => {
      const ip = freshIp();
      for (let i = 0; i < 3; i++) await revoke(ip).expect(200);
      expectRateLimited(await revoke(ip));
      // Another address keeps its own budget.
      await revoke(freshIp()).expect(200);
    });

    it('answers 429 in the error shape on /oauth2/introspect once the IP spent its budget', async () => {
      const ip = freshIp();
      for (let i = 0; i < 3; i++) {
        const res = await introspect(ip).expect(200);
        expect(res.body).toEqual({ active: false });
      }
      expectRateLimited(await introspect(ip));
    });

    it('keeps one budget per IP across revoke and introspect', async () => {
      const ip = freshIp();
      await revoke(ip).expect(200);
      await introspect(ip).expect(200);
      await revoke(ip).expect(200);
      expectRateLimited(await introspect(ip));
      expectRateLimited(await revoke(ip));
    });

    it('checks the bearer token of /oauth2/introspect before the limit: 401, then 429', async () => {
      const ip = freshIp();
      for (let i = 0; i < 3; i++) await revoke(ip).expect(200);
      const res = await introspect(ip, unknownToken());
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    });

    it('does not limit public routes outside /oauth2', async () => {
      const ip = freshIp();
      for (let i = 0; i < 8; i++) {
        await t.http().get('/health/live').set('x-forwarded-for', ip).expect(200);
      }
    });

    it('answers 401 for the budget of failed authentications, then 429', async () => {
      const ip = freshIp();
      for (let i = 0; i < 3; i++) {
        const res = await meFrom(ip, unknownToken());
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('INVALID_TOKEN');
      }
      expectRateLimited(await meFrom(ip, unknownToken()));
      // A missing or malformed credential is a failed authentication too.
      expectRateLimited(await meFrom(ip, null));
      expectRateLimited(await meFrom(ip, 'not-a-token'));
      // Another address is still told 401.
      expect((await meFrom(freshIp(), unknownToken())).status).toBe(401);
    });

    it('refuses every credential from an IP over its failure budget before looking it up, a right one too', async () => {
      const revoked = (await addMember(t, biz)).token;
      await t
        .http()
        .post('/api/v1/tokens/self/revoke')
        .set(asMember(revoked, biz.id))
        .send({})
        .expect(201);
      const rejectedEvents = async () =>
        Number(
          (
            await t.sql<{ n: unknown }>(
              "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'token.rejected'",
            )
          )[0].n,
        );
      const ip = freshIp();
      for (let i = 0; i < 4; i++) await meFrom(ip, unknownToken());
      expectRateLimited(await meFrom(ip, unknownToken()));
      const before = await rejectedEvents();

      // A right guess is not told so.
      expectRateLimited(await meFrom(ip, biz.ownerToken));
      // A revoked token is not even looked up: a lookup would record token.rejected.
      expectRateLimited(await meFrom(ip, revoked));
      expect(await rejectedEvents()).toBe(before);
      // The other IP is untouched.
      await meFrom(freshIp(), biz.ownerToken).expect(200);
    });
  });

  describe('per identity', () => {
    let t: TestApp;
    let biz: BusinessFixture;
    let members: string[];
    beforeAll(async () => {
      t = await bootTestApp(driver, {
        RATE_LIMIT_OAUTH_PER_MINUTE: '0',
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
        RATE_LIMIT_IDENTITY_PER_MINUTE: '3',
      });
      // The platform token spends 1 of its 3, the owner's token 2 of its 3.
      biz = await createBusiness(t);
      members = [(await addMember(t, biz)).token, (await addMember(t, biz)).token];
    });
    afterAll(() => t?.close());

    it('answers 429 once an identity spent its budget, whichever of its tokens calls: minting more buys nothing', async () => {
      const first = members[0];
      const minted = await t
        .http()
        .post('/api/v1/tokens')
        .set(asMember(first, biz.id))
        .send({ name: 'second' })
        .expect(201);
      const second = minted.body.data.token as string;
      await me(t, asMember(second, biz.id)).expect(200);
      await me(t, asMember(first, biz.id)).expect(200);
      expectRateLimited(await me(t, asMember(second, biz.id)));
      expectRateLimited(await me(t, asMember(first, biz.id)));
      // Another identity has its own budget: the owner, with one call left.
      await me(t, asOwner(biz)).expect(200);
    });

    it('checks the token first: a bad token is 401, never 429', async () => {
      const res = await me(t, asMember(unknownToken(), biz.id));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    });

    it('answers 429 before the x-business-id 422 and before a business 403', async () => {
      const token = members[1];
      for (let i = 0; i < 3; i++) await me(t, asMember(token, biz.id)).expect(200);
      expectRateLimited(await me(t, asBearer(token)));
      expectRateLimited(await me(t, asMember(token, 'not-a-uuid')));
      expectRateLimited(await me(t, asMember(token, '00000000-0000-4000-8000-000000000000')));
    });

    it('does not count requests to public routes', async () => {
      for (let i = 0; i < 6; i++) {
        await t.http().get('/health/live').set('authorization', `Bearer ${members[0]}`).expect(200);
      }
    });
  });

  describe('a limit of 0', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await bootTestApp(driver, {
        RATE_LIMIT_OAUTH_PER_MINUTE: '0',
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
        RATE_LIMIT_IDENTITY_PER_MINUTE: '0',
      });
    });
    afterAll(() => t?.close());

    it('turns the oauth limit off: more calls than the default of 60 all pass', async () => {
      for (let i = 0; i < 61; i++) {
        await t.http().post('/oauth2/revoke').send({ token: unknownToken() }).expect(200);
      }
    });

    it('turns the failed-authentication limit off: more than the default of 300 stay 401', async () => {
      for (let i = 0; i < 301; i++) {
        await listBusinesses(t, asBearer(unknownToken())).expect(401);
      }
    });

    it('turns the per-identity limit off', async () => {
      for (let i = 0; i < 20; i++) {
        await listBusinesses(t, asPlatform(t)).expect(200);
      }
    });
  });
});

// Runs only with REDIS_URL, which .ci/run always sets.
const withRedis = describeIf(!!TEST_REDIS_URL, 'set REDIS_URL');

withRedis('Rate limits shared through Redis', () => {
  const prefix = `latchkey-test-${randomBytes(6).toString('hex')}:`;
  const limits = { REDIS_URL: TEST_REDIS_URL!, REDIS_KEY_PREFIX: prefix, ...LIMITS_ENV };
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    a = await bootTestApp('sqlite', limits);
    // The same database, so that a token made on A is valid on B.
    b = await bootTestApp('sqlite', limits, a.db);
    b.platformToken = a.platformToken;
    redis = new Redis(TEST_REDIS_URL!);
  });
  afterAll(async () => {
    // Only this run's keys: the Redis is shared, and is never flushed.
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await b.close({ keepDatabase: true });
    await a.close();
  });

  const revoke = (t: TestApp, ip: string) =>
    t.http().post('/oauth2/revoke').set('x-forwarded-for', ip).send({ token: unknownToken() });

  limitCases(() => ({ a, b, prefix, keys: (pattern) => redis.keys(pattern) }));

  it('lets requests through when Redis does not answer, rather than failing them', async () => {
    // Nothing listens on port 1.
    const down = await bootTestApp('sqlite', { ...limits, REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const ip = freshIp();
      for (let i = 0; i < 5; i++) await revoke(down, ip).expect(200);
    } finally {
      await down.close();
    }
  });
});

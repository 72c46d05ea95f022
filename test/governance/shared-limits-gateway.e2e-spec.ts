import { LIMITS_TTL_MS } from '../../src/governance/limits/limit-book';
import { addMember, BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asOwner, Caller } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { busesUp, uniquePrefix } from '../harness/app/redis-shared-cases';
import { eventually } from '../harness/patience';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS, TEST_REDIS_URL, type Driver } from '../setup/servers';

const SECRET = 'gateway-secret-for-shared-limits';

/**
 * A business's shared limits as gateways meet them: a trusted gateway (one that sends
 * VERIFY_GATEWAY_SECRET) names the limit a check counts against; and parallel checks, on one
 * instance or on two sharing Redis, are never granted more than the limit. On SQLite the count
 * is the instance's own (no Redis): one instance is exact, which is all SQLite serves.
 */
describe.each(DRIVERS)('shared limits at the gateway on %s', (driver: Driver) => {
  let t: TestApp;
  const redisEnv = (): Record<string, string> =>
    TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: uniquePrefix() } : {};
  beforeAll(async () => (t = await bootTestApp(driver, { VERIFY_GATEWAY_SECRET: SECRET })));
  afterAll(() => t?.close());

  const put = (app: TestApp, biz: BusinessFixture, name: string, body: object) =>
    app.http().put(`/api/v1/limits/${name}`).set(asOwner(biz)).send(body).expect(200);
  /** A trusted gateway's check of `caller`'s token, counted against `limit` when named. */
  const check = (app: TestApp, caller: Caller, limit?: string) => {
    const req = app
      .http()
      .get('/auth/verify')
      .set('authorization', caller.authorization)
      .set('x-latchkey-gateway-secret', SECRET);
    return limit === undefined ? req : req.set('x-latchkey-limit', limit);
  };
  const statuses = async (caller: Caller, n: number, limit?: string) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await check(t, caller, limit)).status);
    return out;
  };

  it('counts a check against the limit its gateway names, and each limit apart', async () => {
    const biz = await createUnexpiringBusiness(t);
    await put(t, biz, 'default', { window: 'minute', per_business: 3 });
    await put(t, biz, 'exports', { window: 'minute', per_identity: 2 });
    expect(await statuses(asOwner(biz), 3, 'exports')).toEqual([204, 204, 429]);
    const refused = await check(t, asOwner(biz), 'exports');
    expect(refused.headers['ratelimit-policy']).toBe('"exports/identity";q=2;w=60');
    expect(await statuses(asOwner(biz), 4)).toEqual([204, 204, 204, 429]);
    expect(await statuses(asOwner(biz), 1, 'default')).toEqual([429]);
  });

  it('limits nothing for a name the business has no limit of, and says so in check-online', async () => {
    const biz = await createUnexpiringBusiness(t);
    await put(t, biz, 'exports', { window: 'minute', per_business: 1 });
    expect(await statuses(asOwner(biz), 3, 'imports')).toEqual([204, 204, 204]);
    expect((await check(t, asOwner(biz), 'imports')).headers['x-latchkey-check-online']).toBe('');
    const counted = await check(t, asOwner(biz), 'exports');
    expect(counted.headers['x-latchkey-check-online']).toBe('rate_limit');
  });

  it.each(['', 'Exports', 'a'.repeat(33), 'ex ports', 'exports,default'])(
    'refuses the limit name %p from a trusted gateway: 422 at the header',
    async (name) => {
      const biz = await createUnexpiringBusiness(t);
      const res = await check(t, asOwner(biz), name);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toEqual([
        ['header', 'x-latchkey-limit'],
      ]);
    },
  );

  it('refuses a limit named with a wrong gateway secret, counting nothing', async () => {
    const biz = await createUnexpiringBusiness(t);
    await put(t, biz, 'default', { window: 'minute', per_business: 1 });
    const forged = await t
      .http()
      .get('/auth/verify')
      .set('authorization', asOwner(biz).authorization)
      .set('x-latchkey-gateway-secret', 'guessed')
      .set('x-latchkey-limit', 'default');
    expectError(forged, 403, 'GATEWAY_NOT_TRUSTED');
    expect(await statuses(asOwner(biz), 2)).toEqual([204, 429]);
  });

  it('grants parallel checks on one instance no more than the limit of 10 a minute', async () => {
    const biz = await createUnexpiringBusiness(t);
    const member = await addMember(t, biz);
    await put(t, biz, 'default', { window: 'minute', per_business: 10 });
    const callers = [asOwner(biz), { authorization: `Bearer ${member.token}` }];
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => check(t, callers[i % 2])),
    );
    const granted = answers.filter((r) => r.status === 204).length;
    expect({ granted, refused: answers.length - granted }).toEqual({ granted: 10, refused: 30 });
    expect(answers.every((r) => [204, 429].includes(r.status))).toBe(true);
  });

  if (driver === 'postgres' && TEST_REDIS_URL) {
    describe('two instances sharing Redis', () => {
      let a: TestApp;
      let b: TestApp;
      beforeAll(async () => {
        const env = { VERIFY_GATEWAY_SECRET: SECRET, ...redisEnv() };
        a = await bootTestApp(driver, env);
        b = await bootTestApp(driver, env, a.db);
        await busesUp([a, b]);
      });
      afterAll(async () => {
        await b?.close({ keepDatabase: true });
        await a?.close();
      });

      /** `n` parallel checks split across both instances: how many were granted. */
      const race = async (caller: Caller, n: number) => {
        const answers = await Promise.all(
          Array.from({ length: n }, (_, i) => check(i % 2 === 0 ? a : b, caller)),
        );
        expect(answers.filter((r) => ![204, 429].includes(r.status))).toEqual([]);
        return answers.filter((r) => r.status === 204).length;
      };

      it('grants exactly 10 of 60 parallel checks against a limit of 10 a minute', async () => {
        const biz = await createUnexpiringBusiness(a);
        await put(a, biz, 'default', { window: 'minute', per_business: 10 });
        expect(await race(asOwner(biz), 60)).toBe(10);
      });

      it('grants an identity exactly its 10, however its checks land', async () => {
        const biz = await createUnexpiringBusiness(a);
        await put(a, biz, 'default', { window: 'hour', per_identity: 10 });
        expect(await race(asOwner(biz), 60)).toBe(10);
      });

      it('never grants more than a leased limit of 300, and loses at most a lease per instance', async () => {
        const biz = await createUnexpiringBusiness(a);
        await put(a, biz, 'default', { window: 'hour', per_business: 300 });
        const granted = await race(asOwner(biz), 360);
        expect(granted).toBeLessThanOrEqual(300);
        // A lease is 1% of the limit: each instance may be refused that much early.
        expect(granted).toBeGreaterThanOrEqual(300 - 2 * 3);
      });

      it('hears a change made on the other instance at once', async () => {
        const biz = await createUnexpiringBusiness(a);
        await put(a, biz, 'default', { window: 'hour', per_business: 1000 });
        // b's book keeps what this check reads for LIMITS_TTL_MS at most: a refusal before then
        // is the bus's.
        const keptBy = Date.now() + LIMITS_TTL_MS;
        expect((await check(b, asOwner(biz))).status).toBe(204);
        await put(a, biz, 'default', { window: 'hour', per_business: 1 });
        // The change reaches b on the bus: its next checks count the new cap afresh, one granted
        // and then refused.
        const ms = await eventually(
          async () => (await check(b, asOwner(biz))).status === 429,
          keptBy - Date.now(),
        );
        console.log(`shared-limits-gateway: b refused after ${ms} ms`);
      });
    });
  }
});

import { randomBytes } from 'node:crypto';
import { freePort } from '../harness/ports';
import { PrivateRedis } from '../harness/servers/redis';
import { RevocationBus } from '../../src/bus/revocation-bus';
import { TokensRepository } from '../../src/tokens/store/repositories/tokens.repository';
import { VerifierCache } from '../../src/tokens/verify/verifier-cache';
import { addMember, createBusiness } from '../factories/tenancy.factory';
import { asMember, me } from '../harness/app/api';
import { BUS_ENV, busCases, busesUp } from '../harness/app/redis-shared-cases';
import { eventually } from '../harness/patience';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS, TEST_REDIS_URL } from '../setup/servers';

// Runs only with REDIS_URL, which .ci/run always sets; global setup says when it is left out.
const suite = TEST_REDIS_URL ? describe.each(DRIVERS) : describe.skip.each(DRIVERS);

suite('Revocation bus over Redis on %s', (driver) => {
  const prefix = `latchkey-test-${randomBytes(4).toString('hex')}:`;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const env = {
      REDIS_URL: TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: prefix,
      ...BUS_ENV,
    };
    a = await bootTestApp(driver, env);
    b = await bootTestApp(driver, env, a.db);
    await busesUp([a, b]);
  });
  afterAll(async () => {
    await b?.close({ keepDatabase: true });
    await a?.close();
  });

  busCases(() => ({ a, b }));

  describe('when the Redis connection drops', () => {
    let redis: PrivateRedis;
    let c: TestApp;

    beforeAll(async () => {
      redis = new PrivateRedis(await freePort());
      await redis.start();
      // C shares the database with A and B, but talks to a Redis of its own: it hears nothing
      // A publishes, which makes every message it misses visible.
      c = await bootTestApp(
        driver,
        { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, TOKEN_CACHE_TTL_MS: '10000' },
        a.db,
      );
      await eventually(() => c.app.get(RevocationBus).state.connected, 60_000);
    });
    afterAll(async () => {
      await c?.close({ keepDatabase: true });
      await redis?.stop();
    });

    it('flushes the cache, bypasses it until the bus is back, then flushes it again', async () => {
      const cache = c.app.get(VerifierCache);
      const lookups = jest.spyOn(c.app.get(TokensRepository), 'findForVerifierAnyBusiness');
      try {
        const biz = await createBusiness(a);
        const alice = await addMember(a, biz);
        const bob = await addMember(a, biz);
        await me(c, asMember(alice.token, biz.id)).expect(200);
        await me(c, asMember(bob.token, biz.id)).expect(200);
        lookups.mockClear();
        await me(c, asMember(bob.token, biz.id)).expect(200);
        expect(lookups).not.toHaveBeenCalled();
        expect(cache.size).toBeGreaterThan(0);

        await redis.stop();
        await eventually(() => cache.bypassed, 60_000);
        expect(cache.size).toBe(0);
        expect(c.app.get(RevocationBus).state).toEqual({ transport: 'redis', connected: false });
        expect((await c.http().get('/health/ready')).status).toBe(503);

        // Revoked where C cannot hear it: C refuses on its very next request all the same.
        const view = await me(a, asMember(alice.token, biz.id)).expect(200);
        await a
          .http()
          .post(`/api/v1/tokens/${view.body.data.token.id as string}/revoke`)
          .set(asMember(biz.ownerToken, biz.id))
          .send({})
          .expect(201);
        expect((await me(c, asMember(alice.token, biz.id)).expect(401)).body.code).toBe(
          'TOKEN_REVOKED',
        );
        // Reading through: every request is a lookup while the bus is down.
        lookups.mockClear();
        for (let i = 0; i < 3; i++) await me(c, asMember(bob.token, biz.id)).expect(200);
        expect(lookups).toHaveBeenCalledTimes(3);
        expect(cache.size).toBe(0);

        await redis.start();
        await eventually(() => c.app.get(RevocationBus).state.connected, 60_000);
        expect(cache.bypassed).toBe(false);
        expect(cache.size).toBe(0);
        expect((await c.http().get('/health/ready')).status).toBe(200);
        expect((await me(c, asMember(alice.token, biz.id)).expect(401)).body.code).toBe(
          'TOKEN_REVOKED',
        );
        lookups.mockClear();
        await me(c, asMember(bob.token, biz.id)).expect(200);
        await me(c, asMember(bob.token, biz.id)).expect(200);
        expect(lookups).toHaveBeenCalledTimes(1);
      } finally {
        lookups.mockRestore();
      }
    });
  });
});

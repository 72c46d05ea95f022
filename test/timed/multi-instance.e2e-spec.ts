import { performance } from 'node:perf_hooks';
import { keepAliveAgent } from '../harness/http';
import type { BusinessSetup, IssuedToken } from '../harness/latchkey-client';
import { freePort } from '../harness/ports';
import { PrivateRedis } from '../harness/servers/redis';
import { sleep } from '../harness/stats';
import {
  AppProcess,
  buildApp,
  Cluster,
  pollUntilStatus,
  startCluster,
  waitForReadiness,
} from '../harness/app-cluster';
import { describeIf, TEST_DATABASE_URL, TEST_REDIS_URL } from '../setup/servers';

// Three processes of the built app on one database and one Redis. Runs only when both servers
// are configured, which .ci/run always does; global setup lists it when it is left out.
const suite = describeIf(
  !!(TEST_DATABASE_URL && TEST_REDIS_URL),
  'set TEST_DATABASE_URL and REDIS_URL',
);

/** Generous: the first hook may compile the app, and instances start while others run suites. */
const HOOK_TIMEOUT_MS = 240_000;
/**
 * The instances' cache TTL, the longest the config allows: a cached token refused before it ran
 * out since the token was warmed was refused because the instance heard the revocation, not
 * because the entry expired. How soon it hears it is the bench's to say (bench/sections/
 * propagation.ts), not a clock here that a busy machine could break.
 */
const CACHE_TTL_MS = 10_000;
const CLUSTER_ENV = { TOKEN_CACHE_TTL_MS: String(CACHE_TTL_MS) };
/** How long an instance may take to see Redis go or come back: a bound on a hang only. */
const READINESS_MS = 60_000;

async function businessWithToken(
  cluster: Cluster,
  via: AppProcess,
): Promise<{ owner: BusinessSetup; token: IssuedToken }> {
  const client = cluster.client(via);
  const owner = await client.createBusiness(cluster.platformToken, 'multi');
  return { owner, token: await client.createToken(owner, 'shared') };
}

/**
 * Presents the token twice, so that the instance has it cached; both must be accepted. Answers
 * when the cached entry runs out, at the latest.
 */
async function warm(cluster: Cluster, instance: AppProcess, token: IssuedToken): Promise<number> {
  const cachedBy = Date.now() + CACHE_TTL_MS;
  for (let i = 0; i < 2; i++) {
    const res = await cluster.client(instance).me(token.token, token.businessId);
    expect({ instance: instance.name, status: res.status }).toEqual({
      instance: instance.name,
      status: 200,
    });
  }
  return cachedBy;
}

/**
 * Polls `instance` until it refuses the token, while its cached entry (warmed before
 * `cachedBy`) would still accept it: answers how many ms that took, or null.
 */
async function refusedFromCache(instance: AppProcess, token: IssuedToken, cachedBy: number) {
  const ms = await pollUntilStatus(instance, token, 401, cachedBy - Date.now());
  console.log(`multi-instance: ${instance.name} refused the revoked token after ${ms} ms`);
  return ms;
}

async function revoke(cluster: Cluster, via: AppProcess, owner: BusinessSetup, token: IssuedToken) {
  const res = await cluster.client(via).revokeToken(owner, token.id, 'multi-instance test');
  expect(res.status).toBe(201);
  return res;
}

suite('three instances on one PostgreSQL and Redis', () => {
  beforeAll(() => buildApp(), HOOK_TIMEOUT_MS);
  // Idle keep-alive sockets would otherwise hold the worker open after the instances stop.
  afterAll(() => keepAliveAgent.destroy());

  describe('on the shared Redis', () => {
    let cluster: Cluster | undefined;
    let a: AppProcess, b: AppProcess, c: AppProcess;

    beforeAll(async () => {
      cluster = await startCluster({
        postgresUrl: TEST_DATABASE_URL!,
        redisUrl: TEST_REDIS_URL!,
        env: CLUSTER_ENV,
      });
      [a, b, c] = cluster.instances;
      for (const instance of cluster.instances) {
        expect(await waitForReadiness(instance, 200, READINESS_MS)).toBe(true);
      }
    }, HOOK_TIMEOUT_MS);
    afterAll(() => cluster?.stop());

    it('a revocation on A is rejected by B and C, which had the token cached, by the message before the cache runs out', async () => {
      const { owner, token } = await businessWithToken(cluster!, a);
      const onBBy = await warm(cluster!, b, token);
      const onCBy = await warm(cluster!, c, token);

      await revoke(cluster!, a, owner, token);
      const [onB, onC] = await Promise.all([
        refusedFromCache(b, token, onBBy),
        refusedFromCache(c, token, onCBy),
      ]);

      expect({ onB: onB !== null, onC: onC !== null }).toEqual({ onB: true, onC: true });
      const res = await cluster!.client(b).me(token.token, token.businessId);
      expect(res.body).toMatchObject({ code: 'TOKEN_REVOKED' });
    });

    it('once its revoke response is sent, A accepts the token zero times', async () => {
      const { owner, token } = await businessWithToken(cluster!, a);
      await warm(cluster!, a, token);
      const client = cluster!.client(a);
      const seen: { startedAt: number; status: number }[] = [];
      // Requests in flight on A before, during and after the revoke, on several connections,
      // until 30 have started after its response (counted, not timed: a busy test process sends
      // fewer a second), or 15 s have passed.
      const deadline = performance.now() + 15_000;
      let revokedEnd: number | null = null;
      let afterCount = 0;
      const hammer = async () => {
        while (afterCount < 30 && performance.now() < deadline) {
          const res = await client.me(token.token, token.businessId);
          seen.push({ startedAt: res.startedAt, status: res.status });
          if (revokedEnd !== null && res.startedAt > revokedEnd) afterCount++;
        }
      };
      const workers = Array.from({ length: 6 }, hammer);
      let revoked: Awaited<ReturnType<typeof revoke>> | undefined;
      try {
        await sleep(100);
        revoked = await revoke(cluster!, a, owner, token);
        revokedEnd = revoked.endedAt;
      } finally {
        if (revokedEnd === null) afterCount = Infinity;
        await Promise.all(workers);
      }
      const revokedAt = revoked.endedAt;

      const before = seen.filter((r) => r.startedAt < revoked.startedAt);
      const after = seen.filter((r) => r.startedAt > revokedAt);
      expect(before.some((r) => r.status === 200)).toBe(true);
      expect(after.length).toBeGreaterThan(20);
      expect(after.filter((r) => r.status !== 401)).toEqual([]);
    });
  });

  describe('cut off from Redis', () => {
    // A private redis-server that this suite stops and starts; the machine's Redis is never
    // touched. All three instances use it, so that stopping it cuts B off from A's messages.
    let redis: PrivateRedis | undefined;
    let cluster: Cluster | undefined;
    let a: AppProcess, b: AppProcess, c: AppProcess;

    beforeAll(async () => {
      redis = new PrivateRedis(await freePort());
      await redis.start();
      cluster = await startCluster({
        postgresUrl: TEST_DATABASE_URL!,
        redisUrl: redis.url,
        env: CLUSTER_ENV,
      });
      [a, b, c] = cluster.instances;
      for (const instance of cluster.instances) {
        expect(await waitForReadiness(instance, 200, READINESS_MS)).toBe(true);
      }
    }, HOOK_TIMEOUT_MS);
    afterAll(async () => {
      await cluster?.stop();
      await redis?.stop();
    });

    it('B rejects a token revoked during the outage at once, and still after Redis is back', async () => {
      const { owner, token } = await businessWithToken(cluster!, a);
      await warm(cluster!, b, token);
      await warm(cluster!, c, token);

      await redis!.kill();
      // B has seen the connection drop (its readiness says so) before A revokes.
      expect(await waitForReadiness(b, 503, READINESS_MS)).toBe(true);
      await revoke(cluster!, a, owner, token);

      // The very first request after the revoke: B reads through, as its cache is bypassed.
      const first = await cluster!.client(b).me(token.token, token.businessId);
      expect(first.status).toBe(401);
      expect(first.body).toMatchObject({ code: 'TOKEN_REVOKED' });
      expect((await cluster!.client(c).me(token.token, token.businessId)).status).toBe(401);

      await redis!.start();
      for (const instance of [a, b, c]) {
        expect(await waitForReadiness(instance, 200, READINESS_MS)).toBe(true);
      }
      expect((await cluster!.client(b).me(token.token, token.businessId)).status).toBe(401);

      // The bus works again: a fresh token is accepted on B, and its revocation on A reaches B.
      const fresh = await cluster!.client(a).createToken(owner, 'after-outage');
      const cachedBy = await warm(cluster!, b, fresh);
      await revoke(cluster!, a, owner, fresh);
      expect(await refusedFromCache(b, fresh, cachedBy)).not.toBeNull();
    });
  });
});

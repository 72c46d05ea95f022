import { RedisHealthIndicator } from '../../src/health/redis.health';
import { VerifierCache } from '../../src/tokens/verify/verifier-cache';
import { ClusterTopology, redisCli } from '../harness/servers/redis-topology';
import { addMember, createBusiness } from '../factories/tenancy.factory';
import { asMember, me, revoke } from '../harness/app/api';
import { sleep } from '../harness/app/assertions';
import {
  BUS_ENV,
  busCases,
  busesUp,
  limitCases,
  LIMITS_ENV,
  uniquePrefix,
} from '../harness/app/redis-shared-cases';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { eventually } from '../harness/patience';
import { describeIf, TEST_REDIS_URL } from '../setup/servers';

/**
 * Latchkey on a Redis Cluster of three masters (REDIS_CLUSTER_NODES), started here on free
 * ports: the bus and limit cases of the single-server suites, the hash tags that let the
 * throttler's script run on a Cluster, the bus moving to another node when its node goes, and
 * readiness. Runs where REDIS_URL is set (CI always): the servers are Debian's redis-server, as
 * the one that REDIS_URL names; global setup says when it is left out.
 */
const run = describeIf(!!TEST_REDIS_URL, 'set REDIS_URL');

run('on a Redis Cluster of three masters', () => {
  const cluster = new ClusterTopology();
  /** KEYS on every master: each holds its own slots. */
  const keys = async (pattern: string) =>
    (await Promise.all(cluster.nodes.map((n) => redisCli(n.port, ['KEYS', pattern]))))
      .flatMap((out) => (out ? out.split('\n') : []))
      .sort();

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  describe('the revocation bus', () => {
    const prefix = uniquePrefix();
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      const env = { ...cluster.env(), REDIS_KEY_PREFIX: prefix, ...BUS_ENV };
      a = await bootTestApp('sqlite', env);
      b = await bootTestApp('sqlite', env, a.db);
      await busesUp([a, b]);
    });
    afterAll(async () => {
      await b?.close({ keepDatabase: true });
      await a?.close();
    });

    busCases(() => ({ a, b }));

    it('when its node goes, flushes the cache, subscribes on another node, and hears again', async () => {
      const cache = b.app.get(VerifierCache);
      const biz = await createBusiness(a);
      const alice = await addMember(a, biz);
      await me(b, asMember(alice.token, biz.id)).expect(200);
      expect(cache.size).toBeGreaterThan(0);
      // The nodes that hold a subscriber (A's, B's or both): all of them go at once.
      const holding = [];
      for (const node of cluster.nodes) {
        const clients = await redisCli(node.port, ['CLIENT', 'LIST']);
        if (/ sub=[1-9]/.test(clients)) holding.push(node);
      }
      expect(holding.length).toBeGreaterThan(0);
      expect(holding.length).toBeLessThan(3);
      await Promise.all(holding.map((n) => n.kill()));
      await eventually(() => cache.bypassed, 60_000);
      expect(cache.size).toBe(0);
      // Back before the cluster's node timeout, so it never fails: a node restarting in place.
      await Promise.all(holding.map((n) => n.start()));
      await busesUp([a, b]);
      await cluster.waitForState('ok', 60_000);
      await me(b, asMember(alice.token, biz.id)).expect(200);
      expect(cache.size).toBeGreaterThan(0);
      const view = await me(a, asMember(alice.token, biz.id)).expect(200);
      await revoke(a, asMember(biz.ownerToken, biz.id), view.body.data.token.id as string).expect(
        201,
      );
      await eventually(
        async () => (await me(b, asMember(alice.token, biz.id))).status === 401,
        1000,
      );
    });
  });

  describe('the rate limits', () => {
    const prefix = uniquePrefix();
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      const env = { ...cluster.env(), REDIS_KEY_PREFIX: prefix, ...LIMITS_ENV };
      a = await bootTestApp('sqlite', env);
      b = await bootTestApp('sqlite', env, a.db);
      b.platformToken = a.platformToken;
    });
    afterAll(async () => {
      await b?.close({ keepDatabase: true });
      await a?.close();
    });

    limitCases(() => ({ a, b, prefix, keys }));

    it('puts the two keys of one throttler script in one slot, and spreads budgets over the nodes', async () => {
      // Enough budgets that each master holds some: slots are spread by the hash tag's content.
      const ips = Array.from({ length: 24 }, (_, i) => `192.0.2.${i + 1}`);
      for (const ip of ips) {
        await a.http().post('/oauth2/revoke').set('x-forwarded-for', ip).send({ token: 'x' });
      }
      const perNode = await Promise.all(
        cluster.nodes.map((n) => redisCli(n.port, ['KEYS', `${prefix}throttle:*192.0.2.*`])),
      );
      expect(perNode.filter((out) => out.length > 0).length).toBeGreaterThan(1);
      // Past the limit, the block key is set beside the hits key: same tag, same slot.
      for (let i = 0; i < 4; i++) {
        await a.http().post('/oauth2/revoke').set('x-forwarded-for', ips[0]).send({ token: 'x' });
      }
      const pairKeys = await keys(`${prefix}throttle:*192.0.2.1:*`);
      expect(pairKeys.map((k) => k.slice(prefix.length))).toEqual([
        'throttle:{oauth:192.0.2.1:oauth}:blocked',
        'throttle:{oauth:192.0.2.1:oauth}:hits',
      ]);
      const slots = await Promise.all(
        pairKeys.map((k) => redisCli(cluster.nodes[0].port, ['CLUSTER', 'KEYSLOT', k])),
      );
      expect(new Set(slots).size).toBe(1);
    });
  });

  describe('readiness', () => {
    it('reports Redis up on the Cluster, and 503 once none of its nodes answers', async () => {
      const t = await bootTestApp('sqlite', cluster.env());
      const down = await bootTestApp('sqlite', { REDIS_CLUSTER_NODES: '127.0.0.1:1' });
      try {
        const res = await t.http().get('/health/ready').expect(200);
        expect(res.body.details).toMatchObject({ redis: { status: 'up' }, bus: { status: 'up' } });
        expect(t.app.get(RedisHealthIndicator).configured).toBe(true);
        const refused = await down.http().get('/health/ready').expect(503);
        expect(refused.body.detail).toBe('Not ready: redis does not answer');
      } finally {
        await down.close();
        await t.close();
        // ioredis's slot-refresh connections to a refused node each leave a 2 s timer behind
        // them (its own `disconnect()`); they end by themselves, before the worker does.
        await sleep(2100);
      }
    });
  });
});

import { Client } from 'pg';
import { buildApp, startCluster, type Cluster } from '../harness/app-cluster';
import type { AppProcess } from '../harness/app-process';
import { describeIf, TEST_DATABASE_URL, TEST_REDIS_URL } from '../setup/servers';

const SECRET = 'gateway-secret-for-credits-crash';
const BALANCE = 100;

// Two processes of the built app spending one balance, one of them killed (SIGKILL) while its
// checks are in flight: PostgreSQL and Redis suites, run when both are configured (global setup
// says when they are left out).
const onServers = describeIf(
  !!(TEST_DATABASE_URL && TEST_REDIS_URL),
  'set TEST_DATABASE_URL and REDIS_URL',
);

/**
 * A credit balance shared by two instances, checks costing 1 to 7 landing on both, and one
 * instance killed mid-run: nothing was granted that the store had not counted as taken, and
 * what the store counts as spent was granted.
 */
onServers('credits across two processes, one killed', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    await buildApp();
    cluster = await startCluster({
      postgresUrl: TEST_DATABASE_URL!,
      redisUrl: TEST_REDIS_URL!,
      names: ['A', 'B'],
      env: { VERIFY_GATEWAY_SECRET: SECRET },
    });
  });
  afterAll(() => cluster?.stop());

  /** A trusted gateway's check at `instance` costing `cost`: its cost when granted, else 0. */
  const check = async (instance: AppProcess, token: string, cost: number): Promise<number> => {
    try {
      const res = await fetch(`${instance.url}/auth/verify`, {
        headers: {
          authorization: `Bearer ${token}`,
          'x-latchkey-gateway-secret': SECRET,
          'x-latchkey-cost': String(cost),
        },
      });
      await res.arrayBuffer();
      if (res.status !== 204 && res.status !== 429) throw new Error(`answered ${res.status}`);
      return res.status === 204 ? cost : 0;
    } catch (e) {
      // A check that reached the killed instance: no answer, so nothing granted.
      if (instance.name === 'A' && (e as Error).message === 'fetch failed') return 0;
      throw e;
    }
  };
  const wave = (instance: AppProcess, token: string, n: number, from: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => check(instance, token, 1 + ((from + i) % 7))));
  const sum = (granted: number[]) => granted.reduce((a, b) => a + b, 0);

  it('never grants what the store did not count, before or after the kill', async () => {
    const [a, b] = cluster.instances;
    const owner = await cluster.client(a).createBusiness(cluster.platformToken, 'credits');
    const put = await cluster.client(a).request('PUT', '/api/v1/credits/business', {
      headers: { authorization: `Bearer ${owner.ownerToken}`, 'x-business-id': owner.businessId },
      body: { balance: BALANCE },
    });
    expect(put.status).toBe(200);
    const token = owner.ownerToken;

    const before = await Promise.all([wave(a, token, 10, 0), wave(b, token, 10, 3)]);
    // Checks still in flight at A when it is killed: each is granted (and counted) or gets nothing.
    const inFlight = wave(a, token, 10, 5);
    await a.kill();
    const atKill = await inFlight;
    const after = await wave(b, token, 40, 1);
    await b.stop(10_000);

    const granted = sum([...before.flat(), ...atKill, ...after]);
    const db = new Client({ connectionString: cluster.db.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ balance: number; leased: number }>(
        "SELECT balance, leased FROM credit_accounts WHERE business_id = $1 AND holder = 'business'",
        [owner.businessId],
      );
      const [{ balance, leased }] = rows;
      const taken = BALANCE - balance;
      // Taken before it was granted: no grant the store did not count.
      expect(granted).toBeLessThanOrEqual(taken);
      // What the store holds as spent (taken, less what is still out) was granted.
      expect(taken - leased).toBeLessThanOrEqual(granted);
      // B stopped cleanly and handed back what it held: only A's credits are still out.
      expect(leased).toBeLessThanOrEqual(taken);
      expect(granted).toBeGreaterThan(0);
    } finally {
      await db.end();
    }
  });
});

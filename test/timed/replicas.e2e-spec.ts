import { performance } from 'node:perf_hooks';
import { ReadRouting } from '../../src/database/connection/read-routing';
import { ReplicaSet, ReplicaState } from '../../src/database/connection/replica-set';
import { RATE_LIMITS_OFF } from '../harness/app-process';
import { SHARED_KEYS_ENV } from '../harness/keys';
import { PG_BIN_DIR, pgServerInstalled, ReplicatedPostgres } from '../harness/servers/pg-replica';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
  IssuedToken,
  MemberFixture,
} from '../factories/tenancy.factory';
import { asBearer, asMember, asOwner, Caller, listTokens, me, revoke } from '../harness/app/api';
import { sleep } from '../harness/app/assertions';
import { bootTestApp, TestApp, TestDatabase } from '../harness/app/test-app';
import { PATIENCE_MS } from '../harness/patience';
import { TEST_DATABASE_URL } from '../setup/servers';

/**
 * Read replicas, on one machine: a throwaway primary and a streaming replica of it made with
 * `pg_basebackup -R` (test/harness/servers/pg-replica.ts), and three instances on them, in process. The bus
 * between them is PostgreSQL LISTEN/NOTIFY (no Redis here). Two allow a replica 60 s behind, so
 * a paused replay is still "current" to them and a stale read would show; `strict` allows 300 ms.
 * It runs with the server-backed suites (TEST_DATABASE_URL set), though it makes its own
 * clusters: the system one has no replication line in its pg_hba.conf.
 */
const IN_CI = process.env.CI === 'true';
const HAVE_SERVER = pgServerInstalled();
const run = TEST_DATABASE_URL && HAVE_SERVER ? describe : describe.skip;

if (TEST_DATABASE_URL && !HAVE_SERVER && IN_CI) {
  describe('read replicas', () => {
    it(`runs in CI: PostgreSQL's server binaries are in ${PG_BIN_DIR}`, () => {
      expect(HAVE_SERVER).toBe(true);
    });
  });
}

/** What a replica-backed instance says of its replica, after a fresh round of its check. */
async function replicaState(t: TestApp): Promise<ReplicaState> {
  const set = t.app.get(ReplicaSet);
  await set.refresh();
  return set.status()[0].state;
}

/** Waits (bounded) until the instance's check finds the replica in `state`. */
async function untilReplica(
  t: TestApp,
  state: ReplicaState,
  timeoutMs = PATIENCE_MS,
): Promise<void> {
  const started = performance.now();
  let seen = await replicaState(t);
  while (seen !== state && performance.now() - started < timeoutMs) {
    await sleep(50);
    seen = await replicaState(t);
  }
  expect(seen).toBe(state);
}

/** The ids a caller's token list shows, and where the instance read it. */
async function listed(t: TestApp, caller: Caller): Promise<{ ids: string[]; from: string }> {
  const before = { ...t.app.get(ReadRouting).served };
  const res = await listTokens(t, caller, { limit: 100 });
  expect(res.status).toBe(200);
  const after = t.app.get(ReadRouting).served;
  const from =
    after.replica > before.replica ? 'replica' : after.primary > before.primary ? 'primary' : '?';
  return { ids: (res.body.data.items as { id: string }[]).map((i) => i.id), from };
}

/**
 * The caller's list once the instance reads it from the replica (bounded): "once it catches up"
 * includes the primary's own background writes (usage counts) that the replica replays a moment
 * after the check has sampled them.
 */
async function listedOnceCaughtUp(t: TestApp, caller: Caller, timeoutMs = PATIENCE_MS) {
  const started = performance.now();
  for (;;) {
    await t.app.get(ReplicaSet).refresh();
    const list = await listed(t, caller);
    if (list.from === 'replica' || performance.now() - started > timeoutMs) return list;
    await sleep(50);
  }
}

run('read replicas (a streaming replica made with pg_basebackup -R)', () => {
  const pg = new ReplicatedPostgres();
  let a: TestApp;
  let b: TestApp;
  let strict: TestApp;
  let biz: BusinessFixture;
  let admin: MemberFixture;
  let asAdmin: Caller;
  let victim: IssuedToken;
  let fresh: IssuedToken;

  beforeAll(async () => {
    await pg.start();
    await pg.query('primary', 'CREATE DATABASE latchkey');
    const db: TestDatabase = {
      env: { DATABASE_URL: pg.url('primary', 'latchkey'), ...SHARED_KEYS_ENV },
      drop: () => Promise.resolve(),
    };
    const env = {
      DATABASE_REPLICA_URLS: pg.url('replica', 'latchkey'),
      REPLICA_MAX_LAG_MS: '60000',
      DB_POOL_MAX: '4',
      ...RATE_LIMITS_OFF,
    };
    a = await bootTestApp('postgres', env, db);
    b = await bootTestApp('postgres', env, db);
    strict = await bootTestApp('postgres', { ...env, REPLICA_MAX_LAG_MS: '300' }, db);
    b.platformToken = strict.platformToken = a.platformToken;
    biz = await createBusiness(a);
    admin = await addMember(a, biz, 'admin');
    asAdmin = asMember(admin.token, biz.id);
  });

  afterAll(async () => {
    for (const t of [strict, b, a]) await t?.close({ keepDatabase: true });
    await pg.stop();
  });

  it('lists come from the replica once it has caught up, and readiness shows it serving', async () => {
    victim = await createToken(a, asOwner(biz), { name: 'victim' });
    await pg.waitForCatchUp();
    await untilReplica(a, 'ready');
    // The owner wrote a moment ago: the replica has replayed past it, so it may serve the owner too.
    for (const caller of [asAdmin, asOwner(biz)]) {
      const list = await listedOnceCaughtUp(a, caller);
      expect(list).toEqual({ ids: expect.arrayContaining([victim.id]), from: 'replica' });
    }
    const ready = await a.http().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.replicas).toMatchObject({
      status: 'up',
      serving: 1,
      replicas: [{ replica: 1, state: 'ready' }],
    });
    // Readiness names a replica by its place, never by its URL.
    expect(JSON.stringify(ready.body)).not.toContain(String(pg.replicaPort));
  });

  it('/metrics shows the replica serving, its lag, and the reads sent to it', async () => {
    const res = await a.http().get('/metrics').set(asBearer(a.platformToken));
    expect(res.status).toBe(200);
    const value = (series: string) =>
      Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(res.text)?.[1]);
    const lag = value('latchkey_db_replica_lag_seconds{replica="1"}');
    expect({
      serving: value('latchkey_db_replica_serving{replica="1"}'),
      lag_known: lag >= 0 && lag < 60,
      routed_to_replica: value('latchkey_db_routed_reads_total{target="replica"}') > 0,
    }).toEqual({ serving: 1, lag_known: true, routed_to_replica: true });
    expect(res.text).not.toContain(String(pg.replicaPort));
  });

  it('with replay paused, a token made a moment ago is listed to its maker (from the primary), while others read the stale replica', async () => {
    await pg.pauseReplay();
    fresh = await createToken(a, asOwner(biz), { name: 'made-while-paused' });
    const [{ on_replica }] = await pg.query<{ on_replica: string }>(
      'replica',
      'SELECT count(*) AS on_replica FROM api_tokens WHERE id = $1',
      [fresh.id],
      'latchkey',
    );
    expect(Number(on_replica)).toBe(0);
    expect(await listed(a, asOwner(biz))).toEqual({
      ids: expect.arrayContaining([fresh.id]),
      from: 'primary',
    });
    // Another caller, who wrote nothing, reads the replica, within the 60 s allowed: stale.
    const other = await listed(a, asAdmin);
    expect({ from: other.from, has: other.ids.includes(fresh.id) }).toEqual({
      from: 'replica',
      has: false,
    });
  });

  /** Reads a replica may serve; `:victim` is a token both callers may see. */
  const REPLICA_READS = [
    '/api/v1/tokens',
    '/api/v1/tokens?sort=last_used_at',
    '/api/v1/tokens/risky',
    '/api/v1/tokens/usage',
    '/api/v1/tokens/:victim/usage',
    '/api/v1/members',
    '/api/v1/machine-identities',
    '/api/v1/audit-events',
    '/api/v1/audit-events/export?format=ndjson',
    '/api/v1/audit-events/export?format=csv',
    '/api/v1/webhooks',
  ];
  /** Reads that never go to a replica, whoever asks. */
  const PRIMARY_READS = [
    '/api/v1/me',
    '/api/v1/whoami',
    '/api/v1/tokens/:victim',
    '/api/v1/audit-events/verify',
  ];

  /** Where an instance routed one GET by `caller`, and its status. */
  async function routed(t: TestApp, caller: Caller, path: string) {
    const before = { ...t.app.get(ReadRouting).served };
    const res = await t.http().get(path.replace(':victim', victim.id)).set(caller);
    const after = t.app.get(ReadRouting).served;
    return {
      status: res.status,
      replica: after.replica - before.replica,
      primary: after.primary - before.primary,
    };
  }

  it.each(REPLICA_READS)(
    'with replay paused, %s reads the replica for a caller who wrote nothing, the primary for its maker',
    async (path) => {
      expect(await routed(a, asAdmin, path)).toEqual({ status: 200, replica: 1, primary: 0 });
      expect(await routed(a, asOwner(biz), path)).toEqual({ status: 200, replica: 0, primary: 1 });
    },
  );

  it.each(PRIMARY_READS)(
    '%s never reads a replica, not even for a caller it would serve',
    async (path) => {
      expect(await routed(a, asAdmin, path)).toEqual({ status: 200, replica: 0, primary: 0 });
    },
  );

  it.each([
    '/platform/v1/tokens',
    '/platform/v1/businesses',
    '/platform/v1/admins',
    '/platform/v1/audit-events',
    '/platform/v1/audit-events/export',
    '/platform/v1/webhooks',
  ])(
    '%s reads the replica for a platform admin who wrote nothing since it caught up',
    async (path) => {
      expect(await routed(a, asBearer(a.platformToken), path)).toEqual({
        status: 200,
        replica: 1,
        primary: 0,
      });
    },
  );

  it('a read that decides a write is never from the replica: a caller it serves revokes the token it has not seen', async () => {
    // The platform admin last wrote before the replica caught up: its lists come from the replica,
    // which has not seen the token.
    const platform = asMember(a.platformToken, biz.id);
    const before = await listed(a, platform);
    expect({ from: before.from, has: before.ids.includes(fresh.id) }).toEqual({
      from: 'replica',
      has: false,
    });
    // The revoke reads the token on the primary: found, revoked (a replica read would be 404).
    const res = await revoke(a, platform, fresh.id, { reason: 'decided on the primary' });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      id: fresh.id,
      status: 'revoked',
      revocation_reason: 'decided on the primary',
    });
    // It has written now: its own list shows its change, from the primary.
    const after = await listed(a, platform);
    expect({ from: after.from, has: after.ids.includes(fresh.id) }).toEqual({
      from: 'primary',
      has: true,
    });
  });

  it('a replica further behind than REPLICA_MAX_LAG_MS is skipped: the primary answers, and readiness says so with 200', async () => {
    await untilReplica(strict, 'behind');
    const list = await listed(strict, asAdmin);
    expect({ from: list.from, has: list.ids.includes(fresh.id) }).toEqual({
      from: 'primary',
      has: true,
    });
    const ready = await strict.http().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.replicas).toMatchObject({
      serving: 0,
      replicas: [{ replica: 1, state: 'behind' }],
    });
  });

  it('a revoked token gets 401 on every instance while the replica still holds it active', async () => {
    const caller = { ...asBearer(victim.secret), 'x-business-id': biz.id };
    for (const t of [a, b, strict]) expect((await me(t, caller)).status).toBe(200); // cached
    expect((await revoke(b, asOwner(biz), victim.id)).status).toBe(201);
    const started = performance.now();
    const statuses = async () =>
      Promise.all([a, b, strict].map(async (t) => (await me(t, caller)).status));
    let seen = await statuses();
    while (seen.some((s) => s !== 401) && performance.now() - started < 2000) {
      await sleep(20);
      seen = await statuses();
    }
    expect(seen).toEqual([401, 401, 401]);
    const [{ revoked }] = await pg.query<{ revoked: boolean }>(
      'replica',
      'SELECT revoked_at IS NOT NULL AS revoked FROM api_tokens WHERE id = $1',
      [victim.id],
      'latchkey',
    );
    expect(revoked).toBe(false);
  });

  it("once replay resumes and catches up, lists come from the replica again, the maker's too", async () => {
    await pg.resumeReplay();
    await pg.waitForCatchUp();
    await untilReplica(strict, 'ready');
    await a.app.get(ReplicaSet).refresh();
    for (const [t, caller] of [
      [a, asOwner(biz)],
      [a, asAdmin],
      [strict, asAdmin],
    ] as const) {
      const list = await listedOnceCaughtUp(t, caller);
      expect({ from: list.from, has: list.ids.includes(fresh.id) }).toEqual({
        from: 'replica',
        has: true,
      });
    }
  });

  it('a replica that is down is skipped: lists answer from the primary, readiness says so with 200, and it is used again once back', async () => {
    await pg.pgCtl('replica', 'stop');
    await untilReplica(a, 'down');
    const list = await listed(a, asAdmin);
    expect({ from: list.from, has: list.ids.includes(fresh.id) }).toEqual({
      from: 'primary',
      has: true,
    });
    const ready = await a.http().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.replicas).toMatchObject({
      serving: 0,
      replicas: [{ replica: 1, state: 'down', lag_ms: null }],
    });
    await pg.pgCtl('replica', 'start');
    await pg.waitForCatchUp();
    await untilReplica(a, 'ready');
    expect((await listedOnceCaughtUp(a, asAdmin)).from).toBe('replica');
  });
});

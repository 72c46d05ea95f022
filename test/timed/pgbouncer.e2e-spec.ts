import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { TokenExpiryNotices } from '../../src/tokens/sweeps/token-expiry-notices';
import { RATE_LIMITS_OFF } from '../harness/app-process';
import { pgbouncerInstalled, PGBOUNCER_BIN, PrivatePgBouncer } from '../harness/servers/pgbouncer';
import { BusinessFixture, createBusiness, createToken } from '../factories/tenancy.factory';
import { asBearer, asOwner, listTokens, me, revoke } from '../harness/app/api';
import { expectError, sleep } from '../harness/app/assertions';
import { bootTestApp, createTestDatabase, TestApp, TestDatabase } from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { PATIENCE_MS } from '../harness/patience';
import { TEST_DATABASE_URL } from '../setup/servers';
import {
  appendEvents,
  exportReads,
  holdExportBatches,
  keysetExport,
} from '../audit/export-batches';

/**
 * Latchkey behind PgBouncer in transaction pooling mode (Debian's 1.18), in process: two
 * instances on one fresh database (and a third, `strict`, for the statement timeout's tests),
 * each through the pooler, with DATABASE_DIRECT_URL for what needs a session (the migration
 * lock, the expiry-notice turn's lock, LISTEN for the bus: no Redis here, so propagation between
 * instances goes through PostgreSQL LISTEN/NOTIFY). In CI a missing pgbouncer fails the suite;
 * elsewhere it is left out and says so.
 */
const IN_CI = process.env.CI === 'true';
const HAVE_PGBOUNCER = pgbouncerInstalled();
const run = TEST_DATABASE_URL && HAVE_PGBOUNCER ? describe : describe.skip;

if (TEST_DATABASE_URL && !HAVE_PGBOUNCER && IN_CI) {
  describe('PgBouncer', () => {
    it(`runs in CI: ${PGBOUNCER_BIN} is installed (apt-get install pgbouncer)`, () => {
      expect(HAVE_PGBOUNCER).toBe(true);
    });
  });
}

/**
 * The strict instance's server cancels a statement after this; its own deadline is far longer.
 * Only the tests of the bound use that instance: the others run on instances with the suites'
 * patient timeouts, since five revokers queued on one audit chain can wait past a second on a
 * loaded machine, which is the bound working, not the test's subject.
 */
const STATEMENT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 10_000;
/** The verifier cache's TTL, the longest allowed: a refusal before it runs out is the bus's. */
const CACHE_TTL_MS = 10_000;

/** The advisory key the expiry-notice turn takes (key-lock.ts: "LK", hashtext of its name). */
const NOTICES_LOCK = { space: 0x4c4b, key: 'token-expiry-notices' };

run('through PgBouncer in transaction pooling mode', () => {
  let bouncer: PrivatePgBouncer;
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let strict: TestApp;
  let biz: BusinessFixture;
  let direct: Client;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    bouncer = new PrivatePgBouncer(TEST_DATABASE_URL!);
    await bouncer.start();
    await receiver.start();
    // An empty database: the first instance migrates it, through the pooler and the direct URL.
    db = await createTestDatabase('postgres', { empty: true });
    const directUrl = db.env.DATABASE_URL;
    const env = {
      DATABASE_URL: bouncer.url(new URL(directUrl).pathname.slice(1)),
      DATABASE_DIRECT_URL: directUrl,
      DATABASE_POOL_MODE: 'transaction',
      DB_POOL_MAX: '5',
      WEBHOOK_POLL_MS: '50',
      TOKEN_CACHE_TTL_MS: String(CACHE_TTL_MS),
      ...RATE_LIMITS_OFF,
    };
    a = await bootTestApp('postgres', env, db);
    b = await bootTestApp('postgres', env, db);
    strict = await bootTestApp(
      'postgres',
      {
        ...env,
        DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
        DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      },
      db,
    );
    b.platformToken = strict.platformToken = a.platformToken;
    biz = await createBusiness(a);
    direct = new Client({ connectionString: directUrl, connectionTimeoutMillis: 5000 });
    await direct.connect();
  });
  afterAll(async () => {
    await receiver.stop();
    await direct?.end();
    await strict?.close({ keepDatabase: true });
    await b?.close({ keepDatabase: true });
    await a?.close();
    await bouncer?.stop();
  });

  it('boots and migrates, and sends no timeout as a startup parameter', async () => {
    expect(a.platformToken).toMatch(/^lk_/);
    const [{ pending }] = await a.sql<{ pending: string }>(
      'SELECT count(*) AS pending FROM migrations',
    );
    expect(Number(pending)).toBeGreaterThan(0);
    // PgBouncer refuses what the app sent before: this is why it failed to boot.
    const refused = new Client({
      connectionString: bouncer.url('test'),
      statement_timeout: 1000,
    });
    await expect(refused.connect()).rejects.toThrow(/unsupported startup parameter/);
    await refused.end().catch(() => undefined);
  });

  it('creates, lists (from both instances, on any server connection), revokes, and verifies the audit chain', async () => {
    const made = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        createToken(i % 2 ? b : a, asOwner(biz), { name: `t${i}` }),
      ),
    );
    // Raw-row lists, many at once on both instances: a named prepared statement would be missing
    // (or already there) on whichever server connection the pooler hands the next one.
    const lists = await Promise.all(
      Array.from({ length: 12 }, (_, i) => listTokens(i % 2 ? b : a, asOwner(biz), { limit: 50 })),
    );
    for (const res of lists) {
      expect(res.status).toBe(200);
      const ids = (res.body.data.items as { id: string }[]).map((t) => t.id);
      expect(ids).toEqual(expect.arrayContaining(made.map((t) => t.id)));
    }
    expect((await revoke(b, asOwner(biz), made[0].id, { reason: 'pooled' })).status).toBe(201);
    const verdict = await a.http().get('/api/v1/audit-events/verify').set(asOwner(biz));
    expect(verdict.status).toBe(200);
    expect(verdict.body.data).toMatchObject({ valid: true, first_invalid_seq: null });
  });

  it('a token revoked on A is refused by B, which had it cached, by the message before the cache runs out (LISTEN on the direct URL)', async () => {
    const token = await createToken(a, asOwner(biz), { name: 'propagate' });
    const caller = { ...asBearer(token.secret), 'x-business-id': biz.id };
    // B's entry runs out CACHE_TTL_MS after this at the latest: a refusal before then is the
    // message's. How soon it comes is the bench's to say (bench/sections/propagation.ts).
    const cachedBy = Date.now() + CACHE_TTL_MS;
    expect((await me(b, caller)).status).toBe(200);
    expect((await revoke(a, asOwner(biz), token.id)).status).toBe(201);
    const started = performance.now();
    let status = 200;
    while (status !== 401 && Date.now() < cachedBy) {
      status = (await me(b, caller)).status;
      if (status !== 401) await sleep(20);
    }
    const beforeTtl = Date.now() < cachedBy;
    console.log(`pgbouncer: B refused after ${Math.round(performance.now() - started)} ms`);
    expect({ status, before_the_cache_ran_out: beforeTtl }).toEqual({
      status: 401,
      before_the_cache_ran_out: true,
    });
  });

  it('revokes one token from both instances at once: one revocation, one audit event', async () => {
    const token = await createToken(a, asOwner(biz), { name: 'race' });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => revoke(i % 2 ? b : a, asOwner(biz), token.id)),
    );
    expect(answers.filter((r) => r.status >= 500)).toEqual([]);
    expect(answers.filter((r) => r.body.code !== 'ALREADY_REVOKED')).toHaveLength(1);
    const [{ n }] = await a.sql<{ n: string }>(
      "SELECT count(*) AS n FROM audit_events WHERE action = 'token.revoked' AND target_id = ?",
      [token.id],
    );
    expect(Number(n)).toBe(1);
  });

  it('cancels a write stuck behind a lock at the statement timeout (set per transaction): 503, then serves', async () => {
    await direct.query('BEGIN');
    await direct.query('SELECT seq FROM audit_chain_heads WHERE chain_id = $1 FOR UPDATE', [
      biz.id,
    ]);
    const started = performance.now();
    let res;
    try {
      res = await strict.http().post('/api/v1/tokens').set(asOwner(biz)).send({ name: 'stuck' });
    } finally {
      await direct.query('ROLLBACK');
    }
    const ms = performance.now() - started;
    expectError(res, 503, 'STORAGE_UNAVAILABLE');
    // The server's timeout (1 s), not the app's deadline (10 s), ended it: before the deadline,
    // and not before the timeout. How soon after it is the bench's to measure.
    expect({
      before_the_app_deadline: ms < QUERY_TIMEOUT_MS,
      ms_at_least_timeout: ms >= STATEMENT_TIMEOUT_MS - 50,
    }).toEqual({ before_the_app_deadline: true, ms_at_least_timeout: true });
    await createToken(strict, asOwner(biz), { name: 'after-the-lock' });
  });

  it('cancels a read outside any transaction at the statement timeout too: 503, then serves', async () => {
    expect((await listTokens(strict, asOwner(biz))).status).toBe(200); // the caller is now cached
    await direct.query('BEGIN');
    await direct.query('LOCK TABLE api_tokens IN ACCESS EXCLUSIVE MODE');
    const started = performance.now();
    let res;
    try {
      res = await listTokens(strict, asOwner(biz));
    } finally {
      await direct.query('ROLLBACK');
    }
    const ms = performance.now() - started;
    expectError(res, 503, 'STORAGE_UNAVAILABLE');
    expect({ before_the_app_deadline: ms < QUERY_TIMEOUT_MS }).toEqual({
      before_the_app_deadline: true,
    });
    expect((await listTokens(strict, asOwner(biz))).status).toBe(200);
  });

  /** Whether any session holds the expiry-notice turn's lock on this database (others run suites too). */
  async function noticeLockHeld(): Promise<boolean> {
    const { rows } = await direct.query<{ held: boolean }>(
      `SELECT count(*) > 0 AS held FROM pg_locks WHERE locktype = 'advisory'
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND classid = $1
         AND objid::bigint = (hashtext($2)::bigint + 4294967296) % 4294967296 AND objsubid = 2`,
      [NOTICES_LOCK.space, NOTICES_LOCK.key],
    );
    return rows[0].held;
  }

  it('runs the single-instance turn under a session lock on the direct connection, and lets it go', async () => {
    const token = await createToken(a, asOwner(biz), { name: 'expiring', expires_in_days: 5 });
    const soon = new Date(Date.now() + 4.5 * 86_400_000); // within the 1-day notice window
    const notices = async () => {
      const [{ n }] = await a.sql<{ n: string }>(
        "SELECT count(*) AS n FROM audit_events WHERE action = 'token.expiring' AND target_id = ?",
        [token.id],
      );
      return Number(n);
    };
    // Held by another session, the turn is skipped rather than run twice.
    await direct.query('SELECT pg_advisory_lock($1, hashtext($2))', [
      NOTICES_LOCK.space,
      NOTICES_LOCK.key,
    ]);
    try {
      expect(await a.app.get(TokenExpiryNotices).runTurn(soon)).toBe(0);
      expect(await notices()).toBe(0);
    } finally {
      await direct.query('SELECT pg_advisory_unlock($1, hashtext($2))', [
        NOTICES_LOCK.space,
        NOTICES_LOCK.key,
      ]);
    }
    // Both instances at once: one notice, and no lock left behind on any server connection.
    const turns = await Promise.all([
      a.app.get(TokenExpiryNotices).runTurn(soon),
      b.app.get(TokenExpiryNotices).runTurn(soon),
    ]);
    expect(turns[0] + turns[1]).toBeGreaterThan(0);
    expect(await notices()).toBe(1);
    expect(await noticeLockHeld()).toBe(false);
  });

  it('delivers each revocation made on either instance to a webhook exactly once, both workers running', async () => {
    const owner = await createBusiness(a);
    const hook = await a
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(owner))
      .send({ url: receiver.url, event_types: ['token.revoked'] });
    expect(hook.status).toBe(201);
    const tokens: string[] = [];
    for (let i = 0; i < 40; i++) tokens.push((await createToken(a, asOwner(owner))).id);
    let next = 0;
    const worker = async () => {
      while (next < tokens.length) {
        const i = next++;
        expect((await revoke(i % 2 ? b : a, asOwner(owner), tokens[i])).status).toBe(201);
      }
    };
    await Promise.all(Array.from({ length: 5 }, worker));
    await receiver.waitFor((all) => all.length >= tokens.length, PATIENCE_MS);
    await sleep(500); // a second delivery of any of them would land by now
    const ids = receiver.received.map((r) => String(r.headers['webhook-id']));
    const targets = receiver.received.map(
      (r) => (r.json.data as { target: { id: string } }).target.id,
    );
    expect({ deliveries: ids.length, ids: new Set(ids).size }).toEqual({ deliveries: 40, ids: 40 });
    expect(new Set(targets)).toEqual(new Set(tokens));
  });

  it('exports through a cursor in a read-only transaction, slower than the statement timeout: each fetch is a statement, and the bytes are a keyset read', async () => {
    const owner = await createBusiness(a);
    await appendEvents(a, owner.id, 38);
    const expected = await keysetExport(a, owner.id, 'ndjson');
    const exportFrom = async (t: TestApp) => {
      const res = await t.http().get('/api/v1/audit-events/export').set(asOwner(owner));
      expect(res.status).toBe(200);
      return res.text;
    };
    // Four batches, each held 400 ms by a slow reader: one cursor open past the 1 s timeout.
    exportReads(strict, { batchRows: 10 });
    holdExportBatches(strict, () => sleep(400));
    const began = performance.now();
    try {
      expect(await exportFrom(strict)).toBe(expected);
      expect(performance.now() - began).toBeGreaterThan(STATEMENT_TIMEOUT_MS);
    } finally {
      jest.restoreAllMocks();
    }
    expect(await exportFrom(b)).toBe(expected);
  });
});

import { addMember, BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { seedTokenRows } from '../factories/token-rows.factory';
import { asMember, asOwner, me, removeMember } from '../harness/app/api';
import { sleep } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { sampledCount } from '../harness/sampling';
import { DRIVERS } from '../setup/servers';

/**
 * A cascade of any size holds the SQLite writer, or a business's chain lock on PostgreSQL, for a
 * short batch at a time. Before, removing a member who held 1,200 tokens held the writer for
 * about 0.7 s, and another business's cached GET /api/v1/me took 676 ms instead of 4 ms.
 * The figures are printed; the test asserts behaviour.
 */

/**
 * Its own bound, above the suite-wide 180 s: 5,000 revocations, each with its audit event, take
 * 38 s on PostgreSQL on an idle machine here, and seven minutes at load 15, which a bound of four
 * minutes broke. It bounds a hang, not the speed.
 */
const TIMEOUT_MS = 1_200_000;
/** The pause between two probes of another business's /me while a cascade runs. */
const PROBE_GAP_MS = 10;
/**
 * The member's tokens: 5,000 in `npm run test:full`, 1,000 in `npm test` (still 10 batches on
 * PostgreSQL and 100 on SQLite: CASCADE_BATCH); CASCADE_TEST_TOKENS chooses another.
 */
const TOKENS = process.env.CASCADE_TEST_TOKENS
  ? Number(process.env.CASCADE_TEST_TOKENS)
  : sampledCount('tokens a removed member held', 1_000, 5_000, 'tokens');

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

describe.each(DRIVERS)('cascades in batches on %s', (driver) => {
  let t: TestApp;

  const seed = (biz: BusinessFixture, identityId: string, count: number) =>
    seedTokenRows(t, biz.id, identityId, count);

  const unrevoked = async (businessId: string, identityId: string) =>
    Number(
      (
        await t.sql<{ n: unknown }>(
          'SELECT COUNT(*) AS n FROM api_tokens WHERE business_id = ? AND identity_id = ? ' +
            'AND revoked_at IS NULL',
          [businessId, identityId],
        )
      )[0].n,
    );

  /** Token ids of the member, with how many token.revoked events each has. */
  const revokedEvents = async (businessId: string, identityId: string) => {
    const tokens = await t.sql<{ id: string }>(
      'SELECT id FROM api_tokens WHERE business_id = ? AND identity_id = ?',
      [businessId, identityId],
    );
    const events = await t.sql<{ target_id: string; n: unknown }>(
      'SELECT target_id, COUNT(*) AS n FROM audit_events ' +
        "WHERE business_id = ? AND action = 'token.revoked' GROUP BY target_id",
      [businessId],
    );
    const counts = new Map(events.map((e) => [e.target_id, Number(e.n)]));
    return tokens.map((token) => ({ id: token.id, n: counts.get(String(token.id)) ?? 0 }));
  };

  beforeAll(async () => {
    t = await bootTestApp(driver, { MAX_ACTIVE_TOKENS_PER_IDENTITY: '0' });
  }, TIMEOUT_MS);
  afterAll(() => t?.close(), TIMEOUT_MS);

  it(
    `removing a member with a thousand tokens or more revokes each, with one event each, while another business's /me keeps answering`,
    async () => {
      const biz = await createUnexpiringBusiness(t);
      const member = await addMember(t, biz, 'member');
      await seed(biz, member.identityId, TOKENS - 1);
      expect(await unrevoked(biz.id, member.identityId)).toBe(TOKENS);
      const other = await createUnexpiringBusiness(t);
      await me(t, asOwner(other)).expect(200);

      let removing = true;
      const latencies: number[] = [];
      const statuses = new Set<number>();
      const probe = (async () => {
        // Bounded: until the removal answers, and at most 20,000 probes. Paced at one every
        // PROBE_GAP_MS: the probe shares this process's one event loop with the cascade, and
        // back to back it would spend the loop on itself and make the cascade wait its turn
        // (a 1,000-token cascade on PostgreSQL took 87 s beside 7,160 probes).
        while (removing && latencies.length < 20_000) {
          const started = performance.now();
          const res = await me(t, asOwner(other));
          latencies.push(performance.now() - started);
          statuses.add(res.status);
          await sleep(PROBE_GAP_MS);
        }
      })();
      const started = performance.now();
      const removed = await removeMember(t, asOwner(biz), member.identityId);
      const removalMs = performance.now() - started;
      removing = false;
      await probe;

      expect(removed.status).toBe(200);
      expect([...statuses]).toEqual([200]);
      expect(await unrevoked(biz.id, member.identityId)).toBe(0);
      const events = await revokedEvents(biz.id, member.identityId);
      expect(events).toHaveLength(TOKENS);
      expect(events.filter((e) => Number(e.n) !== 1)).toEqual([]);
      const verify = await t
        .http()
        .get('/api/v1/audit-events/verify')
        .set(asOwner(biz))
        .expect(200);
      expect(verify.body.data).toMatchObject({ valid: true });
      await me(t, asMember(member.token, biz.id)).expect(401);

      const sorted = [...latencies].sort((a, b) => a - b);
      console.log(
        `cascade ${driver}: removing a member with ${TOKENS} tokens took ${Math.round(removalMs)} ms; ` +
          `meanwhile another business's GET /api/v1/me x${sorted.length}: ` +
          `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, ` +
          `max ${sorted[sorted.length - 1].toFixed(1)} ms`,
      );
    },
    TIMEOUT_MS,
  );

  it(
    'a cascade cut short after the removal committed: the tokens are refused at once, and the next start revokes them',
    async () => {
      const biz = await createUnexpiringBusiness(t);
      const member = await addMember(t, biz, 'member');
      await seed(biz, member.identityId, 250);
      // The removal's transaction committed, and the process died before any batch.
      await t.sql('DELETE FROM memberships WHERE business_id = ? AND identity_id = ?', [
        biz.id,
        member.identityId,
      ]);
      await me(t, asMember(member.token, biz.id)).expect(401);
      expect(await unrevoked(biz.id, member.identityId)).toBe(251);

      // The next start (here a second instance on the same database) sweeps first.
      const next = await bootTestApp(driver, { MAX_ACTIVE_TOKENS_PER_IDENTITY: '0' }, t.db);
      try {
        expect(await unrevoked(biz.id, member.identityId)).toBe(0);
        const events = await revokedEvents(biz.id, member.identityId);
        expect(events).toHaveLength(251);
        expect(events.filter((e) => Number(e.n) !== 1)).toEqual([]);
        const verify = await t
          .http()
          .get('/api/v1/audit-events/verify')
          .set(asOwner(biz))
          .expect(200);
        expect(verify.body.data).toMatchObject({ valid: true });
      } finally {
        await next.close({ keepDatabase: true });
      }
    },
    TIMEOUT_MS,
  );

  it(
    'bulk revoke of many tokens revokes in batches: every one, one event each, and one for the operation',
    async () => {
      const biz = await createUnexpiringBusiness(t);
      const member = await addMember(t, biz, 'member');
      await seed(biz, member.identityId, 349);
      const res = await t
        .http()
        .post('/api/v1/tokens/bulk-revoke')
        .set(asOwner(biz))
        .send({ identity_id: member.identityId, reason: 'rotate everything' })
        .expect(200);
      expect(res.body.data).toMatchObject({ matched: 350, revoked: 350 });
      expect(await unrevoked(biz.id, member.identityId)).toBe(0);
      const events = await revokedEvents(biz.id, member.identityId);
      expect(events.filter((e) => Number(e.n) !== 1)).toEqual([]);
      const [bulk] = await t.sql<{ n: unknown }>(
        "SELECT COUNT(*) AS n FROM audit_events WHERE business_id = ? AND action = 'token.bulk_revoked'",
        [biz.id],
      );
      expect(Number(bulk.n)).toBe(1);
    },
    TIMEOUT_MS,
  );
});

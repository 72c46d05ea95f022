import { VerificationRecorder } from '../../src/analytics/recording/verification-recorder';
import { VerificationRollups } from '../../src/analytics/recording/verification-rollups';
import { createToken, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asBearer, asMember, asOwner, me } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { outcomesOf, platformCounts } from './analytics-api';

const CALLS = 40;

/**
 * Two instances on one database count into the same rows: each writes its batch as additive
 * upserts, so the counts add up (PostgreSQL, and SQLite's shared file); and their roll-ups,
 * run at once, leave the hours and days those counts make, not twice them.
 */
describe.each(DRIVERS)('verification counts across two instances on %s', (driver) => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await bootTestApp(driver, { TRUST_PROXY: '127.0.0.1' });
    b = await bootTestApp(driver, { TRUST_PROXY: '127.0.0.1' }, a.db);
  });
  afterAll(async () => {
    await b?.close({ keepDatabase: true });
    await a?.close();
  });

  it(`adds up ${CALLS} verifications of one token split across both, in every granularity`, async () => {
    const biz = await createUnexpiringBusiness(a);
    const tok = await createToken(a, asOwner(biz), { name: 'shared' });
    const calls = Array.from({ length: CALLS }, (_, i) => {
      const app = i % 2 === 0 ? a : b;
      return i % 4 < 2
        ? me(app, asMember(tok.secret, biz.id)).expect(200)
        : app.http().get('/auth/verify').set(asBearer(tok.secret)).expect(204);
    });
    await Promise.all(calls);
    await Promise.all([a, b].map((app) => app.app.get(VerificationRecorder).flush()));

    const now = new Date();
    const turns = await Promise.all(
      [a, b].map((app) => app.app.get(VerificationRollups).runTurn(now)),
    );
    // One at a time: on PostgreSQL the other may find the turn taken and skip it.
    expect(turns).toContain(true);
    for (const granularity of ['minute', 'hour', 'day']) {
      const answer = await platformCounts(a, {
        granularity,
        group_by: 'token,outcome',
        business_id: biz.id,
        from: new Date(Date.now() - 2 * 3_600_000).toISOString(),
      });
      expect({ granularity, counts: outcomesOf(answer, tok.id) }).toEqual({
        granularity,
        counts: { valid: CALLS },
      });
    }
  });
});

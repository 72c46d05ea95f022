import { randomUUID } from 'node:crypto';
import { VerificationRecorder } from '../../src/analytics/recording/verification-recorder';
import { VerificationRollups } from '../../src/analytics/recording/verification-rollups';
import { VerificationCountsRepository } from '../../src/analytics/store/verification-counts.repository';
import { loadConfig } from '../../src/config/load-config';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { dbTime } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { countsOf, platformCounts, totalOf } from './analytics-api';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const floorTo = (ms: number, step: number) => ms - (ms % step);

/**
 * Roll-ups keep the totals equal across minute, hour and day buckets, however often they run;
 * retention deletes each granularity past its own; and the recorder's memory stays bounded
 * whatever a caller sends (a million distinct tags, more tokens than the batch holds).
 */
describe.each(DRIVERS)('verification roll-ups and bounds on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

  /** A recorder of its own, with `env` for its bounds, writing to the app's database. */
  const recorder = (env: Record<string, string> = {}) =>
    new VerificationRecorder(
      t.app.get(UnitOfWork),
      t.app.get(VerificationCountsRepository),
      loadConfig(env),
    );
  const tokenOf = (businessId: string) => ({
    id: randomUUID(),
    businessId,
    identityId: randomUUID(),
  });
  const rowsIn = async (table: string, businessId: string) => {
    const [row] = await t.sql<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM ${table} WHERE business_id = ?`,
      [businessId],
    );
    return Number(row.n);
  };

  it('keeps totals equal across granularities, run once, twice, or after late writes', async () => {
    const businessId = randomUUID();
    const token = tokenOf(businessId);
    const now = Date.now();
    const sut = recorder();
    for (let i = 0; i < 26; i++) {
      sut.note(token, i % 3 === 0 ? 'revoked' : 'valid', '', now - i * 7 * MINUTE_MS);
    }
    await sut.flush();
    const rollups = t.app.get(VerificationRollups);
    expect(await rollups.runTurn(new Date(now), true)).toBe(true);

    const start = now - 3 * HOUR_MS;
    const to = new Date(now + MINUTE_MS).toISOString();
    const read = (granularity: string, from: number) =>
      platformCounts(t, {
        granularity,
        from: new Date(from).toISOString(),
        to,
        business_id: businessId,
      });
    const totals = async () => {
      const answers = await Promise.all([
        read('minute', start),
        read('hour', floorTo(start, HOUR_MS)),
        read('day', floorTo(start, DAY_MS)),
      ]);
      return answers.map((a) => {
        const byOutcome: Record<string, number> = {};
        for (const c of countsOf(a)) byOutcome[c.outcome!] = (byOutcome[c.outcome!] ?? 0) + c.count;
        return { total: totalOf(a), byOutcome };
      });
    };
    const once = { total: 26, byOutcome: { valid: 17, revoked: 9 } };
    expect(await totals()).toEqual([once, once, once]);

    await rollups.runTurn(new Date(now));
    await rollups.runTurn(new Date(now), true);
    expect(await totals()).toEqual([once, once, once]);

    // A minute written after the roll-up is in the hour and the day once the next turn runs.
    sut.note(token, 'valid', '', now);
    await sut.flush();
    await rollups.runTurn(new Date(now));
    const later = { total: 27, byOutcome: { valid: 18, revoked: 9 } };
    expect(await totals()).toEqual([later, later, later]);
  });

  it('deletes each granularity past its retention, and keeps what is within it', async () => {
    const businessId = randomUUID();
    const token = tokenOf(businessId);
    const now = Date.now();
    const sut = recorder();
    sut.note(token, 'valid', '', now - 49 * HOUR_MS);
    sut.note(token, 'valid', '', now - 47 * HOUR_MS);
    await sut.flush();
    const insert = (table: string, at: number) =>
      t.sql(
        `INSERT INTO ${table} (bucket, business_id, token_id, outcome, tag, identity_id, count) ` +
          "VALUES (?, ?, ?, 'valid', '', ?, 1)",
        [dbTime(t.driver, new Date(at)), businessId, token.id, token.identityId],
      );
    await insert('verification_hours', floorTo(now - 36 * DAY_MS, HOUR_MS));
    await insert('verification_days', floorTo(now - 401 * DAY_MS, DAY_MS));
    await insert('verification_days', floorTo(now - 399 * DAY_MS, DAY_MS));
    expect([
      await rowsIn('verification_minutes', businessId),
      await rowsIn('verification_hours', businessId),
      await rowsIn('verification_days', businessId),
    ]).toEqual([2, 1, 2]);

    await t.app.get(VerificationRollups).runTurn(new Date(now));
    // The minute 47 hours back is kept, the one 49 hours back is not.
    expect(await rowsIn('verification_minutes', businessId)).toBe(1);
    const [hours] = await t.sql<{ n: unknown }>(
      'SELECT COUNT(*) AS n FROM verification_hours WHERE business_id = ? AND bucket < ?',
      [businessId, dbTime(t.driver, new Date(now - 35 * DAY_MS))],
    );
    expect(Number(hours.n)).toBe(0);
    const [days] = await t.sql<{ n: unknown }>(
      'SELECT COUNT(*) AS n FROM verification_days WHERE business_id = ?',
      [businessId],
    );
    expect(Number(days.n)).toBe(1);
  });

  it('holds a million distinct tags in bounded memory and rows', async () => {
    const businesses = Array.from({ length: 20 }, () => tokenOf(randomUUID()));
    const sut = recorder({
      ANALYTICS_TAGS_PER_BUSINESS_DAY: '50',
      ANALYTICS_MAX_PENDING_KEYS: '5000',
    });
    const now = floorTo(Date.now(), MINUTE_MS);
    const CALLS = 1_000_000;
    for (let i = 0; i < CALLS; i++) {
      sut.note(businesses[i % 20], 'valid', `endpoint=/v1/${i}`, now + (i % 1000));
    }
    expect(sut.tagsHeld).toBe(20 * 50);
    expect(sut.pendingKeys).toBe(20 * 51);
    expect(sut.dropped).toBe(0);
    await sut.flush();
    let rows = 0;
    let counted = 0;
    for (const token of businesses) {
      rows += await rowsIn('verification_minutes', token.businessId);
      const [sum] = await t.sql<{ n: unknown }>(
        'SELECT SUM(count) AS n FROM verification_minutes WHERE business_id = ?',
        [token.businessId],
      );
      counted += Number(sum.n);
    }
    expect({ rows, counted }).toEqual({ rows: 20 * 51, counted: CALLS });
  });

  it('drops and counts what would grow the batch past its bound', async () => {
    const sut = recorder({ ANALYTICS_MAX_PENDING_KEYS: '1000' });
    const businessId = randomUUID();
    for (let i = 0; i < 5000; i++) sut.note(tokenOf(businessId), 'valid');
    expect({ pending: sut.pendingKeys, dropped: sut.dropped }).toEqual({
      pending: 1000,
      dropped: 4000,
    });
    await sut.flush();
    expect(await rowsIn('verification_minutes', businessId)).toBe(1000);
  });
});

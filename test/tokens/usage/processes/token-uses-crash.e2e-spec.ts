import request from 'supertest';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../../../harness/app-process';
import { asMember } from '../../../factories/tenancy.factory';
import { buildApp } from '../../../harness/app-cluster';
import { createTestDatabase, TestDatabase } from '../../../harness/app/test-app';
import { DRIVERS } from '../../../setup/servers';

/** Large enough that the ledger reserves several uses at a time (a kill may lose a block). */
const LIMIT = 400;
const CLIENTS = 10;

let built: Promise<void> | undefined;

/**
 * `kill -9` while a limited token is in use, with no Redis (the count is the process's, reserved
 * from the database in blocks): after the restart, the uses granted before the kill and after it
 * together never pass the limit. A ledger that granted before it wrote would fail here. Spawns
 * the built app twice (a one-at-a-time suite).
 */
describe.each(DRIVERS)('kill -9 while a token spends its uses on %s', (driver) => {
  let db: TestDatabase;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    built ??= buildApp();
    await built;
    db = await createTestDatabase(driver);
  }, 240_000);
  afterAll(async () => {
    await app?.kill();
    await db?.drop();
  });

  it(`grants no more than uses_limit ${LIMIT} across the crash`, async () => {
    const env = { LOG_LEVEL: 'silent', ...db.env, ...RATE_LIMITS_OFF };
    app = await startAppProcess({ name: `uses-crash-${driver}`, env });
    const http = () => request(app!.url);
    const created = await http()
      .post('/platform/v1/businesses')
      .set('authorization', `Bearer ${app.platformToken!}`)
      .send({ name: `uses-crash-${Date.now()}`, owner_email: `owner-${Date.now()}@crash.test` })
      .expect(201);
    const businessId = created.body.data.business.id as string;
    const owner = asMember(created.body.data.first_token.token as string, businessId);
    const token = await http()
      .post('/api/v1/tokens')
      .set(owner)
      .send({ name: 'metered', uses_limit: LIMIT })
      .expect(201);
    const caller = asMember(token.body.data.token as string, businessId);

    // Clients spend uses until a quarter are granted, when the process is killed under them.
    let before = 0;
    const crashed = app;
    let killing: Promise<void> | undefined;
    const spend = async () => {
      for (let i = 0; i < LIMIT && !killing; i++) {
        const res = await http()
          .get('/api/v1/me')
          .set(caller)
          .timeout(8000)
          .catch(() => null);
        if (res?.status === 200) before++;
        if (before >= LIMIT / 4) killing ??= crashed.kill();
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, spend));
    await killing;
    expect(before).toBeGreaterThanOrEqual(LIMIT / 4);

    app = await startAppProcess({ name: `uses-crash-${driver}`, env });
    const view = await http().get(`/api/v1/tokens/${token.body.data.id}`).set(owner).expect(200);
    const left = view.body.data.uses_remaining as number;
    expect(left).toBeLessThanOrEqual(LIMIT - before);
    // Spend what the restarted app says is left, then one more, which must be refused.
    let after = 0;
    for (let i = 0; i <= LIMIT; i++) {
      const res = await http().get('/api/v1/me').set(caller);
      if (res.status !== 200) {
        expect({ status: res.status, code: res.body.code }).toEqual({
          status: 429,
          code: 'USES_EXHAUSTED',
        });
        break;
      }
      after++;
    }
    expect(after).toBe(left);
    expect(before + after).toBeLessThanOrEqual(LIMIT);
  });
});

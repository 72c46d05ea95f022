import { randomBytes } from 'node:crypto';
import { RevocationBus } from '../../../src/bus/revocation-bus';
import { createBusiness, createToken } from '../../factories/tenancy.factory';
import { asMember, asOwner, me } from '../../harness/app/api';
import { expectBearerError } from '../../harness/app/assertions';
import { BUS_ENV, heardBeforeTtl } from '../../harness/app/redis-shared-cases';
import { eventually } from '../../harness/patience';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { DRIVERS, TEST_REDIS_URL } from '../../setup/servers';

/**
 * Two instances on one database: a pause on A is refused by B within the revocation bound (1 s),
 * and a resume is served by B as soon. With Redis they hear each other on the bus; without it
 * (SQLite), through the database file. PostgreSQL without Redis has no bus between instances,
 * and is not run.
 */
const drivers = DRIVERS.filter((d) => d === 'sqlite' || TEST_REDIS_URL);

describe.each(drivers)('A pause across two instances on %s', (driver) => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env: Record<string, string> = {
      // A long TTL: only the bus (or the file) can make B refuse in time.
      ...BUS_ENV,
      ...(TEST_REDIS_URL
        ? {
            REDIS_URL: TEST_REDIS_URL,
            REDIS_KEY_PREFIX: `latchkey-test-${randomBytes(4).toString('hex')}:`,
          }
        : {}),
    };
    a = await bootTestApp(driver, env);
    b = await bootTestApp(driver, env, a.db);
    for (const app of [a, b]) {
      await eventually(() => app.app.get(RevocationBus).state.connected, 60_000);
    }
  });
  afterAll(async () => {
    await b?.close({ keepDatabase: true });
    await a?.close();
  });

  it('a token disabled on A is refused by B before its cache runs out, and served again once enabled', async () => {
    const biz = await createBusiness(a);
    const tok = await createToken(a, asOwner(biz));
    const onB = () => me(b, asMember(tok.secret, biz.id));
    let cachedAt = Date.now();
    await onB().expect(200);
    await onB().expect(200);

    await a
      .http()
      .post(`/api/v1/tokens/${tok.id}/disable`)
      .set(asOwner(biz))
      .send({ reason: 'paused' })
      .expect(200);
    expectBearerError(await me(a, asMember(tok.secret, biz.id)), 'TOKEN_DISABLED');
    await heardBeforeTtl(async () => (await onB()).status === 401, cachedAt);
    cachedAt = Date.now();
    expectBearerError(await onB(), 'TOKEN_DISABLED');

    await a.http().post(`/api/v1/tokens/${tok.id}/enable`).set(asOwner(biz)).send({}).expect(200);
    await heardBeforeTtl(async () => (await onB()).status === 200, cachedAt);
  });

  it('a family paused with its children on A is refused by B before its cache runs out, to the last grandchild', async () => {
    const biz = await createBusiness(a);
    const root = await createToken(a, asOwner(biz), { name: 'root' });
    const child = await createToken(a, asMember(root.secret, biz.id), { name: 'child' });
    const grandchild = await createToken(a, asMember(child.secret, biz.id), { name: 'grand' });
    const family = [root, child, grandchild];
    const onB = (secret: string) => me(b, asMember(secret, biz.id));
    const cachedAt = Date.now();
    for (const tok of family) await onB(tok.secret).expect(200);

    const res = await a
      .http()
      .post(`/api/v1/tokens/${root.id}/disable`)
      .set(asOwner(biz))
      .send({ reason: 'contain', include_children: true })
      .expect(200);
    expect(res.body.data.children.paused).toBe(2);
    for (const tok of family) {
      await heardBeforeTtl(async () => (await onB(tok.secret)).status === 401, cachedAt);
      expectBearerError(await onB(tok.secret), 'TOKEN_DISABLED');
    }
  });
});

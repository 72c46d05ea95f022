import { randomBytes } from 'node:crypto';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { WebhookEndpointsRepository } from '../../src/webhooks/store/webhook-endpoints.repository';
import { BusinessFixture, createBusiness } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { Received, WebhookReceiver } from '../harness/app/webhook-receiver';
import { verified } from './webhook-suite';
import { Driver, DRIVERS, TEST_DATABASE_URL, TEST_REDIS_URL } from '../setup/servers';

/**
 * A rotated v1 secret signs from the rotation on, while deliveries flow: every message queued
 * after `rotate-secret` answers (and the rotation's own audit event) carries a signature by the
 * new secret and one by the old, and once `previous_secret_valid_until` has passed, one by the
 * new alone. The endpoint takes `*`, so it is also sent the audit events of its own changes, as
 * a SIEM's is. Run on one instance of each driver, and on two instances of one PostgreSQL (with
 * Redis when it is configured), each delivering and each taking half the requests. SQLite is one
 * process's database: it has no second instance.
 */

interface Setup {
  driver: Driver;
  instances: number;
}

const SETUPS: Setup[] = [
  ...DRIVERS.map((driver) => ({ driver, instances: 1 })),
  ...(TEST_DATABASE_URL ? [{ driver: 'postgres' as const, instances: 2 }] : []),
];

/** Deliveries wanted in each phase, queued after the change that starts it. */
const WANTED = 20;

const signatures = (r: Received) => String(r.headers['webhook-signature']).split(' ');

function verifies(r: Received, secret: string): boolean {
  try {
    verified(r, secret);
    return true;
  } catch {
    return false;
  }
}

describe.each(SETUPS)('a rotated webhook secret on $driver, $instances instance(s)', (setup) => {
  const receiver = new WebhookReceiver();
  const apps: TestApp[] = [];

  beforeAll(async () => {
    await receiver.start();
    const env: Record<string, string> = {
      WEBHOOK_POLL_MS: '50',
      ...(setup.instances > 1 && TEST_REDIS_URL
        ? {
            REDIS_URL: TEST_REDIS_URL,
            REDIS_KEY_PREFIX: `latchkey-test-${randomBytes(4).toString('hex')}:`,
          }
        : {}),
    };
    apps.push(await bootTestApp(setup.driver, env));
    while (apps.length < setup.instances) {
      apps.push(await bootTestApp(setup.driver, env, apps[0].db));
    }
  });

  afterAll(async () => {
    for (const app of apps.slice(1)) await app.close({ keepDatabase: true });
    await apps[0]?.close();
    await receiver.stop();
  });

  /**
   * Keeps messages coming until it is stopped: a `webhook.test`, then a token made and revoked
   * (each an event of its own type and an `audit.event`), by two callers, through each instance
   * in turn. Answers the stop.
   */
  function steadyFlow(biz: BusinessFixture, endpointId: string): () => Promise<void> {
    let running = true;
    let turn = 0;
    const caller = async () => {
      while (running) {
        const app = apps[turn++ % apps.length];
        await app.http().post(`/api/v1/webhooks/${endpointId}/test`).set(asOwner(biz)).expect(201);
        const made = await app
          .http()
          .post('/api/v1/tokens')
          .set(asOwner(biz))
          .send({ name: `flow-${turn}` })
          .expect(201);
        await app
          .http()
          .post(`/api/v1/tokens/${made.body.data.id}/revoke`)
          .set(asOwner(biz))
          .expect(201);
      }
    };
    const callers = [caller(), caller()];
    return async () => {
      running = false;
      await Promise.all(callers);
    };
  }

  /** The deliveries queued at `since` or later, once there are WANTED of them and `also` holds. */
  async function queuedSince(since: number, also: (got: Received[]) => boolean = () => true) {
    const after = (got: Received[]) => got.filter((r) => Date.parse(r.json.timestamp) >= since);
    await receiver.waitFor((got) => after(got).length >= WANTED && also(got), 30_000);
    return after(receiver.received);
  }

  /** What the test asserts of each delivery: its id, type and signatures. */
  const signedBy = (r: Received, fresh: string, old: string) => ({
    id: r.headers['webhook-id'],
    type: r.json.type,
    signatures: signatures(r).length,
    fresh: verifies(r, fresh),
    old: verifies(r, old),
  });

  it('signs every message queued after the rotation with both secrets, then with the new alone', async () => {
    const t = apps[0];
    const biz = await createBusiness(t);
    const created = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['*'] })
      .expect(201);
    const endpoint = created.body.data.id as string;
    const old = created.body.data.secret as string;

    const stop = steadyFlow(biz, endpoint);
    try {
      // Deliveries flow, each instance's worker has read the endpoint, and keeps sending.
      await receiver.waitFor((got) => got.length >= WANTED, 30_000);
      const last = apps[apps.length - 1];
      await last
        .http()
        .patch(`/api/v1/webhooks/${endpoint}`)
        .set(asOwner(biz))
        .send({ description: 'the SIEM' })
        .expect(200);
      const rotated = await t
        .http()
        .post(`/api/v1/webhooks/${endpoint}/rotate-secret`)
        .set(asOwner(biz))
        .expect(201);
      const rotatedAt = Date.now();
      const fresh = rotated.body.data.secret as string;
      expect(fresh).toMatch(/^whsec_/);
      expect(Date.parse(rotated.body.data.previous_secret_valid_until)).toBeGreaterThan(rotatedAt);
      const test = await last
        .http()
        .post(`/api/v1/webhooks/${endpoint}/test`)
        .set(asOwner(biz))
        .expect(201);
      const testId = test.body.data.message_id as string;

      // The grace window: both sign every message queued since, the rotation's own event too.
      const ownEvent = (r: Received) => r.json.data.action === 'webhook.secret_rotated';
      const during = await queuedSince(
        rotatedAt,
        (got) => got.some(ownEvent) && got.some((r) => r.headers['webhook-id'] === testId),
      );
      const both = [...during, ...receiver.received.filter(ownEvent)];
      expect(both.map((r) => signedBy(r, fresh, old))).toEqual(
        both.map((r) => ({ ...signedBy(r, fresh, old), signatures: 2, fresh: true, old: true })),
      );

      // The window ends (as 24 hours on would end it): the new secret alone signs from then on.
      await t.app
        .get(UnitOfWork)
        .run((tx) =>
          t.app
            .get(WebhookEndpointsRepository)
            .updateEndpoint(biz.id, endpoint, { previousSecretUntil: new Date() }, tx),
        );
      const endedAt = Date.now();
      const after = await queuedSince(endedAt);
      expect(after.map((r) => signedBy(r, fresh, old))).toEqual(
        after.map((r) => ({ ...signedBy(r, fresh, old), signatures: 1, fresh: true, old: false })),
      );
    } finally {
      await stop();
    }
  });
});

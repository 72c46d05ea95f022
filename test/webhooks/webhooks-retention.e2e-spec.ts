import { dbTime } from '../../src/database/db-time';
import { WebhookRetention } from '../../src/webhooks/messages/webhook-retention';
import { createBusiness, createToken } from '../factories/tenancy.factory';
import { asOwner, revoke } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { DRIVERS } from '../setup/servers';
import { lastReading } from '../harness/patience';

const DAY = 86_400_000;

describe.each(DRIVERS)('webhook retention on %s', (driver) => {
  let t: TestApp;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await bootTestApp(driver, {
      WEBHOOK_RETENTION_DAYS: '7',
      WEBHOOK_RETRY_SCHEDULE: '50ms',
      WEBHOOK_POLL_MS: '50',
    });
  });

  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const at = (ms: number) => dbTime(t.dataSource.manager, new Date(Date.now() + ms));

  async function messagesOf(endpointId: string) {
    return t.sql<{ id: string; status: string }>(
      'SELECT id, status FROM webhook_messages WHERE endpoint_id = ? ORDER BY id',
      [endpointId],
    );
  }

  /** The endpoint's messages once `count` of them are no longer pending. */
  function settled(endpointId: string, count: number) {
    return lastReading(
      () => messagesOf(endpointId),
      (rows) => rows.filter((r) => r.status !== 'pending').length >= count,
    );
  }

  /** Moves a message back in time: queued and last attempted `daysAgo` days ago. */
  const age = (id: string, daysAgo: number, nextAttemptInMs = -daysAgo * DAY) =>
    t.sql('UPDATE webhook_messages SET created_at = ?, next_attempt_at = ? WHERE id = ?', [
      at(-daysAgo * DAY),
      at(nextAttemptInMs),
      id,
    ]);

  const attemptsOf = async (ids: string[]) =>
    (
      await t.sql<{ message_id: string }>(
        `SELECT message_id FROM webhook_attempts WHERE message_id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      )
    ).map((r) => r.message_id);

  it('deletes delivered and dead messages, with their attempts, past WEBHOOK_RETENTION_DAYS, and keeps pending and recent ones', async () => {
    const biz = await createBusiness(t);
    const register = async (marker: string) =>
      (
        await t
          .http()
          .post('/api/v1/webhooks')
          .set(asOwner(biz))
          .send({ url: `${receiver.url}?${marker}=1`, event_types: ['token.revoked'] })
          .expect(201)
      ).body.data.id as string;
    const delivering = await register('ok');
    const failing = await register('failing');
    receiver.answer = (r) => (r.url.includes('failing') ? { status: 500 } : { status: 200 });
    for (let i = 0; i < 3; i++) {
      const token = await createToken(t, asOwner(biz));
      await revoke(t, asOwner(biz), token.id).expect(201);
    }
    const delivered = await settled(delivering, 3);
    const dead = await settled(failing, 3);
    expect(delivered.map((m) => m.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(dead.map((m) => m.status)).toEqual(['dead', 'dead', 'dead']);

    const [oldDelivered, recentDelivered, oldPending] = delivered.map((m) => m.id);
    const [oldDead, recentDead, barelyKept] = dead.map((m) => m.id);
    await age(oldDelivered, 8);
    await age(oldDead, 30);
    // Queued long ago, but sent again (a redeliver) a day ago: its last attempt is recent.
    await age(recentDead, 30, -1 * DAY);
    await age(barelyKept, 6.9);
    // Queued 30 days ago and still waiting for a retry: never deleted, however old.
    await age(oldPending, 30, DAY);
    await t.sql("UPDATE webhook_messages SET status = 'pending' WHERE id = ?", [oldPending]);

    const sut = t.app.get(WebhookRetention);
    expect(await sut.deleteExpired()).toBe(2);

    expect((await messagesOf(delivering)).map((m) => m.id).sort()).toEqual(
      [recentDelivered, oldPending].sort(),
    );
    expect((await messagesOf(failing)).map((m) => m.id).sort()).toEqual(
      [recentDead, barelyKept].sort(),
    );
    expect(await attemptsOf([oldDelivered, oldDead])).toEqual([]);
    const kept = await attemptsOf([recentDelivered, oldPending, recentDead, barelyKept]);
    expect(new Set(kept)).toEqual(new Set([recentDelivered, oldPending, recentDead, barelyKept]));
    // The deliveries list shows what is kept, and nothing of what went.
    const listed = await t
      .http()
      .get(`/api/v1/webhooks/${failing}/deliveries`)
      .set(asOwner(biz))
      .expect(200);
    const listedIds = (listed.body.data.items as { message_id: string }[]).map((a) => a.message_id);
    expect(listedIds).not.toContain(oldDead);
    expect(listedIds).toEqual(expect.arrayContaining([recentDead, barelyKept]));

    // Idempotent: a second run, or another instance's, finds nothing more.
    expect(await sut.deleteExpired()).toBe(0);
  });

  it('deletes in batches until nothing is past the retention', async () => {
    const biz = await createBusiness(t);
    const endpoint = (
      await t
        .http()
        .post('/api/v1/webhooks')
        .set(asOwner(biz))
        .send({ url: receiver.url, event_types: ['token.revoked'] })
        .expect(201)
    ).body.data.id as string;
    receiver.answer = () => ({ status: 200 });
    // 1,200 old delivered messages, past one batch of 1,000, written as the outbox writes them.
    const old = at(-10 * DAY);
    const rows = Array.from({ length: 1200 }, (_, i) => `msg_${String(i).padStart(32, '0')}`);
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200);
      await t.sql(
        'INSERT INTO webhook_messages (id, endpoint_id, chain_id, event_type, payload, status, attempts, next_attempt_at, created_at, delivered_at) VALUES ' +
          chunk.map(() => "(?, ?, ?, 'token.revoked', '{}', 'delivered', 1, ?, ?, ?)").join(', '),
        chunk.flatMap((id) => [id, endpoint, biz.id, old, old, old]),
      );
    }
    expect(await t.app.get(WebhookRetention).deleteExpired()).toBe(1200);
    expect(await messagesOf(endpoint)).toEqual([]);
  });
});

import { createBusiness, createToken } from '../factories/tenancy.factory';
import { asOwner, asPlatform, revoke } from '../harness/app/api';
import { DRIVERS } from '../setup/servers';
import { FAST_RETRIES, waitForAttempts, webhookWorld } from './webhook-suite';
import type { TestApp } from '../harness/app/test-app';
import { lastReading } from '../harness/patience';

/**
 * Webhooks, what an operator does with messages: redeliver, recover and test. The suites of webhooks*.e2e-spec.ts share their describe titles, so a
 * test keeps its full title wherever it lives.
 */
describe.each(DRIVERS)('webhooks on %s', (driver) => {
  const world = webhookWorld(driver, FAST_RETRIES);
  const { receiver, register } = world;
  let t: TestApp;
  beforeAll(() => (t = world.t));

  it('redelivers a message with its own webhook-id', async () => {
    const biz = await createBusiness(t);
    const endpoint = await register(biz, ['token.created']);
    const sent = await t
      .http()
      .post(`/api/v1/webhooks/${endpoint.id}/test`)
      .set(asOwner(biz))
      .expect(201);
    await receiver.waitFor((got) => got.length >= 1);
    await t
      .http()
      .post(`/api/v1/webhooks/${endpoint.id}/deliveries/${sent.body.data.message_id}/redeliver`)
      .set(asOwner(biz))
      .expect(201);
    await receiver.waitFor((got) => got.length >= 2);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([
      sent.body.data.message_id,
      sent.body.data.message_id,
    ]);
  });

  it('redelivers a message asked for while its attempt is still in flight', async () => {
    const biz = await createBusiness(t);
    const endpoint = await register(biz, ['token.created']);
    // The first attempt is answered only after the redeliver has queued the message again.
    receiver.answer = () =>
      receiver.received.length === 1 ? { status: 200, delayMs: 500 } : { status: 200 };
    const sent = await t
      .http()
      .post(`/api/v1/webhooks/${endpoint.id}/test`)
      .set(asOwner(biz))
      .expect(201);
    await receiver.waitFor((got) => got.length >= 1);
    await t
      .http()
      .post(`/api/v1/webhooks/${endpoint.id}/deliveries/${sent.body.data.message_id}/redeliver`)
      .set(asOwner(biz))
      .expect(201);
    await receiver.waitFor((got) => got.length >= 2);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([
      sent.body.data.message_id,
      sent.body.data.message_id,
    ]);
  });

  it('refuses to redeliver or test on a disabled endpoint, with 409, instead of queuing a message to die', async () => {
    const biz = await createBusiness(t);
    const endpoint = await register(biz, ['token.created']);
    const sent = await t
      .http()
      .post(`/api/v1/webhooks/${endpoint.id}/test`)
      .set(asOwner(biz))
      .expect(201);
    await receiver.waitFor((got) => got.length >= 1);
    // Recorded as delivered before the endpoint is disabled: disabling ends what is still under
    // way, and a send that arrives and is recorded after it reads delivered again.
    await waitForAttempts(t, biz, endpoint.id, 1);
    await t
      .http()
      .patch(`/api/v1/webhooks/${endpoint.id}`)
      .set(asOwner(biz))
      .send({ enabled: false })
      .expect(200);
    const messages = () =>
      t.sql<{ id: string; status: string }>(
        'SELECT id, status FROM webhook_messages WHERE endpoint_id = ? ORDER BY id',
        [endpoint.id],
      );
    const before = await messages();
    for (const path of [`deliveries/${sent.body.data.message_id}/redeliver`, 'test']) {
      const res = await t.http().post(`/api/v1/webhooks/${endpoint.id}/${path}`).set(asOwner(biz));
      expect({ path, status: res.status, code: res.body.code }).toEqual({
        path,
        status: 409,
        code: 'WEBHOOK_DISABLED',
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(await messages()).toEqual(before);
    expect(before.map((m) => m.status)).toEqual(['delivered']);
    expect(receiver.received).toHaveLength(1);
    // An unknown message is still 404, disabled or not.
    const unknown = await t
      .http()
      .post(`/api/v1/webhooks/${endpoint.id}/deliveries/msg_${'0'.repeat(32)}/redeliver`)
      .set(asOwner(biz));
    expect(unknown.body.code).toBe('WEBHOOK_MESSAGE_NOT_FOUND');
  });

  it('gives a message up once its retries are spent, and resends it on recover, counting it all in /metrics', async () => {
    const biz = await createBusiness(t);
    const endpoint = await register(biz, ['token.revoked']);
    receiver.answer = () => ({ status: 500 });
    const token = await createToken(t, asOwner(biz));
    const before = new Date(Date.now() - 1000).toISOString();
    await revoke(t, asOwner(biz), token.id).expect(201);
    // The first attempt and the four retries of FAST_RETRIES.
    await waitForAttempts(t, biz, endpoint.id, 5);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(5);
    const status = async () =>
      (
        await t.sql<{ status: string }>(
          'SELECT status FROM webhook_messages WHERE endpoint_id = ?',
          [endpoint.id],
        )
      ).map((r) => r.status);
    expect(await status()).toEqual(['dead']);

    receiver.answer = () => ({ status: 200 });
    const recovered = await t
      .http()
      .post(`/api/v1/webhooks/${endpoint.id}/recover?since=${encodeURIComponent(before)}`)
      .set(asOwner(biz))
      .expect(201);
    expect(recovered.body.data).toEqual({ requeued: 1 });
    await receiver.waitFor((got) => got.length >= 6);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(await lastReading(status, ([first]) => first === 'delivered')).toEqual(['delivered']);

    const metrics = await t.http().get('/metrics').set(asPlatform(t)).expect(200);
    const value = (line: RegExp) => Number(line.exec(metrics.text)?.[1] ?? NaN);
    expect(
      value(/^latchkey_webhook_attempts_total\{outcome="failed"\} (\d+)/m),
    ).toBeGreaterThanOrEqual(5);
    expect(
      value(/^latchkey_webhook_attempts_total\{outcome="delivered"\} (\d+)/m),
    ).toBeGreaterThanOrEqual(1);
    expect(value(/^latchkey_webhook_messages_dead_total (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^latchkey_webhook_delivery_seconds_count (\d+)/m)).toBeGreaterThanOrEqual(1);

    const bad = await t
      .http()
      .post(`/api/v1/webhooks/${endpoint.id}/recover?since=yesterday`)
      .set(asOwner(biz));
    expect({ status: bad.status, loc: bad.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['query', 'since'],
    });
    await t
      .http()
      .patch(`/api/v1/webhooks/${endpoint.id}`)
      .set(asOwner(biz))
      .send({ enabled: false });
    const disabled = await t
      .http()
      .post(`/api/v1/webhooks/${endpoint.id}/recover?since=${encodeURIComponent(before)}`)
      .set(asOwner(biz));
    expect({ status: disabled.status, code: disabled.body.code }).toEqual({
      status: 409,
      code: 'WEBHOOK_DISABLED',
    });
  });
});

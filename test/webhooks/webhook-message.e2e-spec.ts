import { addMember, BusinessFixture, createBusiness } from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, Caller } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { DRIVERS } from '../setup/servers';
import { lastReading } from '../harness/patience';

/**
 * GET …/webhooks/{id}/deliveries/{message_id}: a delivery's message, its payload exactly as it
 * was sent, so the console shows what the receiver got. Read as the deliveries are.
 */
describe.each(DRIVERS)('a webhook message read back on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await bootTestApp(driver, { WEBHOOK_POLL_MS: '50' });
    biz = await createBusiness(t);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const endpoint = async (caller: Caller, base = '/api/v1/webhooks', path = '/a') =>
    (
      await t
        .http()
        .post(base)
        .set(caller)
        .send({ url: `${receiver.url}${path}`, event_types: ['*'] })
        .expect(201)
    ).body.data.id as string;
  const sendTest = async (caller: Caller, id: string, base = '/api/v1/webhooks') =>
    (await t.http().post(`${base}/${id}/test`).set(caller).expect(201)).body.data
      .message_id as string;
  const read = (caller: Caller, id: string, message: string, base = '/api/v1/webhooks') =>
    t.http().get(`${base}/${id}/deliveries/${message}`).set(caller);

  it('answers the payload byte for byte as the receiver got it, and its delivered state', async () => {
    const id = await endpoint(asOwner(biz), '/api/v1/webhooks', '/exact');
    const message = await sendTest(asOwner(biz), id);
    await receiver.waitFor((all) => all.some((r) => r.headers['webhook-id'] === message));
    const sent = receiver.received.find((r) => r.headers['webhook-id'] === message)!;
    // Delivered is written just after the answer: look until it is.
    const res = await lastReading(
      () => read(asOwner(biz), id, message),
      (seen) => seen.body.data?.status === 'delivered',
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      message_id: message,
      event_type: 'webhook.test',
      status: 'delivered',
      attempts: 1,
      created_at: expect.any(String),
      delivered_at: expect.any(String),
      payload: sent.body,
    });
  });

  it('is 404 for another endpoint’s message, another business’s, and an unknown id', async () => {
    const mine = await endpoint(asOwner(biz));
    const sibling = await endpoint(asOwner(biz), '/api/v1/webhooks', '/b');
    const message = await sendTest(asOwner(biz), mine);
    expectError(await read(asOwner(biz), sibling, message), 404, 'WEBHOOK_MESSAGE_NOT_FOUND');
    const other = await createBusiness(t);
    const theirs = await endpoint(asOwner(other));
    expectError(await read(asOwner(other), theirs, message), 404, 'WEBHOOK_MESSAGE_NOT_FOUND');
    expectError(await read(asOwner(other), mine, message), 404, 'WEBHOOK_NOT_FOUND');
    expectError(
      await read(asOwner(biz), mine, `msg_${'0'.repeat(32)}`),
      404,
      'WEBHOOK_MESSAGE_NOT_FOUND',
    );
    // The platform chain holds none of a business's messages.
    const platformHook = await endpoint(asPlatform(t), '/platform/v1/webhooks');
    expectError(
      await read(asPlatform(t), platformHook, message, '/platform/v1/webhooks'),
      404,
      'WEBHOOK_MESSAGE_NOT_FOUND',
    );
    const platformMessage = await sendTest(asPlatform(t), platformHook, '/platform/v1/webhooks');
    const ok = await read(asPlatform(t), platformHook, platformMessage, '/platform/v1/webhooks');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.data.payload as string)).toMatchObject({ type: 'webhook.test' });
  });

  it('needs the owner or admin role and webhooks:read, and a well-formed message id', async () => {
    const id = await endpoint(asOwner(biz));
    const message = await sendTest(asOwner(biz), id);
    const member = await addMember(t, biz, 'member');
    expectError(await read(asMember(member.token, biz.id), id, message), 403, 'INSUFFICIENT_ROLE');
    const narrow = await t
      .http()
      .post('/api/v1/tokens')
      .set(asOwner(biz))
      .send({ name: 'audit-only', scopes: ['audit:read'] })
      .expect(201);
    expectError(
      await read(asMember(narrow.body.data.token as string, biz.id), id, message),
      403,
      'INSUFFICIENT_SCOPE',
    );
    const bad = await read(asOwner(biz), id, 'msg_nope');
    expectError(bad, 422, 'VALIDATION_ERROR');
    expect(bad.body.detail[0].loc).toEqual(['path', 'message_id']);
  });
});

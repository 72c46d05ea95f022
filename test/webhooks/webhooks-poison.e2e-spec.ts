import { createBusiness, createToken } from '../factories/tenancy.factory';
import { asOwner, revoke } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { DRIVERS } from '../setup/servers';
import { WebhookMessagesRepository } from '../../src/webhooks/store/webhook-messages.repository';
import { seal } from '../../src/webhooks/signing/webhook-secret-box';
import { generateSecret } from '../../src/webhooks/signing/webhook-signature';
import { listAttempts, waitForAttempts } from './webhook-suite';

/**
 * A claimed batch holds messages of many endpoints, from any business. One attempt that cannot
 * be signed or stored must not hold the others back: before, the batch's one transaction failed,
 * nothing was recorded, and every message in it was sent again at every lease, forever.
 */
describe.each(DRIVERS)('a webhook batch with one poisoned attempt, on %s', (driver) => {
  let t: TestApp;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await bootTestApp(driver, { WEBHOOK_RETRY_SCHEDULE: '50ms,50ms', WEBHOOK_POLL_MS: '50' });
  });

  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  beforeEach(() => {
    receiver.received.length = 0;
    receiver.answer = () => ({ status: 200, body: 'ok' });
  });

  /** Two endpoints of one business that both want `token.revoked`, so one revocation queues a message to each, claimed in one batch. */
  async function twoEndpoints() {
    const biz = await createBusiness(t);
    const register = async (url: string) => {
      const res = await t
        .http()
        .post('/api/v1/webhooks')
        .set(asOwner(biz))
        .send({ url, event_types: ['token.revoked'] })
        .expect(201);
      return res.body.data.id as string;
    };
    const poisoned = await register(`${receiver.url}?poisoned=1`);
    const plain = await register(`${receiver.url}?plain=1`);
    const revokeOne = async () => {
      const token = await createToken(t, asOwner(biz));
      await revoke(t, asOwner(biz), token.id).expect(201);
    };
    return { biz, poisoned, plain, revokeOne };
  }

  const statusOf = async (endpointId: string) =>
    (
      await t.sql<{ status: string; attempts: number }>(
        'SELECT status, attempts FROM webhook_messages WHERE endpoint_id = ?',
        [endpointId],
      )
    ).map((r) => [r.status, Number(r.attempts)]);

  const sentTo = (marker: string) => receiver.received.filter((r) => r.url.includes(marker));

  it('records an answer holding a NUL byte, and sends neither message of the batch again', async () => {
    const { biz, poisoned, plain, revokeOne } = await twoEndpoints();
    receiver.answer = (r) =>
      r.url.includes('poisoned') ? { status: 200, body: 'ok\u0000then' } : { status: 200 };
    await revokeOne();

    const [recorded] = await waitForAttempts(t, biz, poisoned, 1);
    expect(recorded).toMatchObject({
      status_code: 200,
      response_body: 'ok\uFFFDthen',
      error: null,
    });
    await waitForAttempts(t, biz, plain, 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await statusOf(poisoned)).toEqual([['delivered', 1]]);
    expect(await statusOf(plain)).toEqual([['delivered', 1]]);
    expect([sentTo('poisoned').length, sentTo('plain').length]).toEqual([1, 1]);
  });

  it('fails the attempt of an endpoint whose secret does not open, on its schedule, and delivers the rest', async () => {
    const { biz, poisoned, plain, revokeOne } = await twoEndpoints();
    // Sealed under another key, as after WEBHOOK_SECRETS_KEY changed.
    const secret = generateSecret();
    await t.sql('UPDATE webhook_endpoints SET secret_sealed = ? WHERE id = ?', [
      seal(Buffer.alloc(32, 9), poisoned, secret),
      poisoned,
    ]);
    await revokeOne();

    // The first attempt and the two retries, each a failure with a fixed word; then given up on.
    const failed = await waitForAttempts(t, biz, poisoned, 3);
    expect(failed).toEqual(
      Array.from({ length: 3 }, () =>
        expect.objectContaining({ status_code: null, response_body: '', error: 'signing_failed' }),
      ),
    );
    await waitForAttempts(t, biz, plain, 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await statusOf(poisoned)).toEqual([['dead', 3]]);
    expect(await statusOf(plain)).toEqual([['delivered', 1]]);
    expect([sentTo('poisoned').length, sentTo('plain').length]).toEqual([0, 1]);
    const listed = JSON.stringify(await listAttempts(t, biz, poisoned));
    expect(listed).not.toContain(secret);
  });

  it('records each attempt alone when one row of the batch is refused', async () => {
    const { biz, poisoned, plain, revokeOne } = await twoEndpoints();
    const repo = t.app.get(WebhookMessagesRepository);
    const real = repo.recordAttempt.bind(repo);
    const refused = jest
      .spyOn(repo, 'recordAttempt')
      .mockImplementation((attempt, tx) =>
        attempt.endpointId === poisoned
          ? Promise.reject(new Error('the database refuses this row'))
          : real(attempt, tx),
      );
    try {
      await revokeOne();
      await waitForAttempts(t, biz, plain, 1);
      await new Promise((r) => setTimeout(r, 500));
      expect(await statusOf(plain)).toEqual([['delivered', 1]]);
      expect(sentTo('plain')).toHaveLength(1);
      // In the batch, then alone, then without the receiver's answer.
      expect(refused.mock.calls.filter(([a]) => a.endpointId === poisoned)).toHaveLength(3);
      expect(await listAttempts(t, biz, poisoned)).toEqual([]);
    } finally {
      refused.mockRestore();
      // Its message is left to its lease: deleting the endpoint gives it up.
      await t.http().delete(`/api/v1/webhooks/${poisoned}`).set(asOwner(biz)).expect(200);
    }
  });
});

import { createBusiness } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { DRIVERS } from '../setup/servers';

/**
 * WEBHOOK_DELIVERY=false: an instance that serves the API but leaves delivery to others. Its
 * changes still queue their messages in their own transaction; an instance with delivery on
 * sends them.
 */
describe.each(DRIVERS)('an instance with webhook delivery off, on %s', (driver) => {
  const receiver = new WebhookReceiver();
  let queuing: TestApp;
  let delivering: TestApp | undefined;

  beforeAll(async () => {
    await receiver.start();
    queuing = await bootTestApp(driver, { WEBHOOK_DELIVERY: 'false', WEBHOOK_POLL_MS: '50' });
  });
  afterAll(async () => {
    await delivering?.close({ keepDatabase: true });
    await queuing.close();
    await receiver.stop();
  });

  it('queues what its changes tell, and sends nothing until an instance that delivers is up', async () => {
    const biz = await createBusiness(queuing);
    const hook = await queuing
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['token.created'] })
      .expect(201);
    await queuing
      .http()
      .post('/api/v1/tokens')
      .set(asOwner(biz))
      .send({ name: 'told-later' })
      .expect(201);
    // Three poll periods of the queuing instance: it would have sent by now if it delivered.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received).toHaveLength(0);
    const pending = await queuing.sql<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM webhook_messages WHERE endpoint_id = ? AND status = 'pending'",
      [hook.body.data.id],
    );
    expect(Number(pending[0].n)).toBe(1);

    delivering = await bootTestApp(driver, { WEBHOOK_POLL_MS: '50' }, queuing.db);
    const [got] = await receiver.waitFor((all) => all.length > 0);
    expect(got.json.type).toBe('token.created');
  });
});

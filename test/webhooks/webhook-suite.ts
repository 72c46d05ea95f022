import { Webhook } from 'standardwebhooks';
import type { BusinessFixture } from '../factories/tenancy.factory';
import type { Driver } from '../setup/servers';
import { asOwner } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { Received, WebhookReceiver } from '../harness/app/webhook-receiver';
import { lastReading } from '../harness/patience';

/** Short retries, so a receiver that fails a few times is retried within a test. */
export const FAST_RETRIES = {
  WEBHOOK_RETRY_SCHEDULE: '50ms,50ms,50ms,50ms',
  WEBHOOK_POLL_MS: '50',
};

export interface Endpoint {
  id: string;
  secret: string;
}

/**
 * A webhook suite's world: an app on `driver` with `env`, and a receiver on 127.0.0.1 that
 * answers 200 unless a test says otherwise. Call it inside a describe: it registers the hooks
 * that start and stop both, and clears what the receiver saw before each test.
 */
export function webhookWorld(driver: Driver, env: Record<string, string> = {}) {
  const receiver = new WebhookReceiver();
  let app: TestApp | undefined;

  beforeAll(async () => {
    await receiver.start();
    app = await bootTestApp(driver, env);
  });

  afterAll(async () => {
    await app?.close();
    await receiver.stop();
  });

  beforeEach(() => {
    receiver.received.length = 0;
    receiver.answer = () => ({ status: 200, body: 'ok' });
  });

  const current = (): TestApp => {
    if (!app) throw new Error('the app starts in beforeAll');
    return app;
  };

  /** Registers an endpoint of `biz` as its owner (201 or the test fails), with its secret. */
  async function register(
    biz: BusinessFixture,
    eventTypes: string[] = ['*'],
    url = receiver.url,
  ): Promise<Endpoint> {
    const res = await current()
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url, event_types: eventTypes, description: 'test receiver' });
    expect({ status: res.status, body: res.status === 201 ? null : res.body }).toEqual({
      status: 201,
      body: null,
    });
    return { id: res.body.data.id, secret: res.body.data.secret };
  }

  return {
    receiver,
    register,
    get t(): TestApp {
      return current();
    },
  };
}

/** Checks a delivery's signature the way a receiver would: with the standardwebhooks package. */
export function verified(r: Received, secret: string): unknown {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });
}

/** Whether a delivery is about `biz`: its business, or its target. */
export const ofBusiness = (biz: BusinessFixture) => (r: Received) =>
  (r.json.data as { business_id?: string }).business_id === biz.id ||
  (r.json.data as { target?: { id?: string } }).target?.id === biz.id;

/** An attempt as `GET …/deliveries` lists it. */
export interface ListedAttempt {
  message_id: string;
  status_code: number | null;
  response_body: string;
  error: string | null;
  event_type: string;
}

/** The endpoint's attempts as its owner lists them, newest first. */
export async function listAttempts(
  t: TestApp,
  biz: { id: string; ownerToken: string },
  endpointId: string,
): Promise<ListedAttempt[]> {
  const res = await t
    .http()
    .get(`/api/v1/webhooks/${endpointId}/deliveries`)
    .set(asOwner(biz))
    .expect(200);
  return res.body.data.items as ListedAttempt[];
}

/** The endpoint's attempts once there are `count` of them, or what there is when patience ends. */
export function waitForAttempts(
  t: TestApp,
  biz: { id: string; ownerToken: string },
  endpointId: string,
  count: number,
): Promise<ListedAttempt[]> {
  return lastReading(
    () => listAttempts(t, biz, endpointId),
    (items) => items.length >= count,
  );
}

import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../harness/app-process';
import { BusinessSetup, LatchkeyClient, scoped } from '../harness/latchkey-client';
import { buildApp, Cluster, startCluster } from '../harness/app-cluster';
import {
  createTestDatabase,
  TEST_WEBHOOK_SECRETS_KEY,
  TestDatabase,
} from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { describeIf, DRIVERS, TEST_DATABASE_URL, TEST_REDIS_URL } from '../setup/servers';

/** Generous: the first hook may compile the app, and instances start while others run suites. */
const HOOK_TIMEOUT_MS = 240_000;

const WEBHOOK_ENV = {
  WEBHOOK_SECRETS_KEY: TEST_WEBHOOK_SECRETS_KEY,
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_POLL_MS: '100',
};

async function registerEndpoint(
  client: LatchkeyClient,
  owner: BusinessSetup,
  url: string,
  eventTypes: string[],
): Promise<string> {
  const res = await client.request<{ data: { id: string } }>('POST', '/api/v1/webhooks', {
    headers: scoped(owner.ownerToken, owner.businessId),
    body: { url, event_types: eventTypes },
  });
  expect(res.status).toBe(201);
  return res.body.data.id;
}

let built: Promise<void> | undefined;

describe.each(DRIVERS)('webhooks across a kill -9 on %s', (driver) => {
  let db: TestDatabase;
  let app: AppProcess | undefined;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    built ??= buildApp();
    await built;
    db = await createTestDatabase(driver);
    await receiver.start();
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await app?.kill();
    await db?.drop();
    await receiver.stop();
  });

  it('delivers a message whose server died mid-delivery after the restart, with the same webhook-id', async () => {
    // The attempt's timeout sets the lease: a dead worker's message is taken again once it ends.
    const env = {
      LOG_LEVEL: 'silent',
      ...db.env,
      ...RATE_LIMITS_OFF,
      ...WEBHOOK_ENV,
      WEBHOOK_TIMEOUT_MS: '1000',
    };
    app = await startAppProcess({ name: `webhook-crash-${driver}`, env });
    const client = new LatchkeyClient(app.url);
    const owner = await client.createBusiness(app.platformToken!, 'crash');
    await registerEndpoint(client, owner, receiver.url, ['token.revoked']);
    const token = await client.createToken(owner, 'doomed');

    // The receiver holds the first delivery open: the message is committed and claimed, not done.
    receiver.hold = true;
    expect((await client.revokeToken(owner, token.id, 'crash test')).status).toBe(201);
    await receiver.waitFor((all) => all.length >= 1);
    await app.kill();
    receiver.hold = false;

    app = await startAppProcess({ name: `webhook-crash-${driver}-2`, env });
    const got = await receiver.waitFor((all) => all.length >= 2, 30_000);
    expect(got[1].headers['webhook-id']).toBe(got[0].headers['webhook-id']);
    expect(got[1].json.type).toBe('token.revoked');
  });
});

// Two processes on one PostgreSQL (and Redis), as the multi-instance suite runs them.
const suite = describeIf(
  !!(TEST_DATABASE_URL && TEST_REDIS_URL),
  'set TEST_DATABASE_URL and REDIS_URL',
);

suite('webhooks from two instances on one PostgreSQL', () => {
  let cluster: Cluster | undefined;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    built ??= buildApp();
    await built;
    await receiver.start();
    cluster = await startCluster({
      postgresUrl: TEST_DATABASE_URL!,
      redisUrl: TEST_REDIS_URL!,
      names: ['A', 'B'],
      env: WEBHOOK_ENV,
    });
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await cluster?.stop();
    await receiver.stop();
  });

  it('delivers each of 500 revocations exactly once', async () => {
    const [a, b] = cluster!.instances;
    const onA = cluster!.client(a);
    const onB = cluster!.client(b);
    const owner = await onA.createBusiness(cluster!.platformToken, 'pair');
    await registerEndpoint(onA, owner, receiver.url, ['token.revoked']);
    const tokens = await onA.createTokens(owner, 500, 8, 'pair');
    // Half the revocations commit on each instance, so both workers have messages of their own.
    let next = 0;
    const worker = async () => {
      while (next < tokens.length) {
        const i = next++;
        const res = await (i % 2 ? onB : onA).revokeToken(owner, tokens[i].id, 'pair');
        expect(res.status).toBe(201);
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));
    await receiver.waitFor((all) => all.length >= 500, 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const ids = receiver.received.map((r) => String(r.headers['webhook-id']));
    const targets = receiver.received.map(
      (r) => (r.json.data as { target: { id: string } }).target.id,
    );
    expect({
      deliveries: ids.length,
      ids: new Set(ids).size,
      tokens: new Set(targets).size,
    }).toEqual({
      deliveries: 500,
      ids: 500,
      tokens: 500,
    });
    expect(new Set(targets)).toEqual(new Set(tokens.map((t) => t.id)));
  });
});

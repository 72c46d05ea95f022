import { Database } from '../../src/database/connection/read-routing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { BusinessFixture, createBusiness, createToken } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { DRIVERS } from '../setup/servers';
import { HangingReceiver } from '../harness/hanging-receiver';
import { sleep } from '../harness/stats';
import { WebhookEndpoint } from '../../src/webhooks/store/webhook-endpoint.entity';
import { messageId, WebhookMessage } from '../../src/webhooks/store/webhook-message.entity';
import { WebhookClaims } from '../../src/webhooks/delivery/webhook-claims';
import { WebhookDispatcher } from '../../src/webhooks/delivery/webhook-dispatcher';
import { WebhookMessagesRepository } from '../../src/webhooks/store/webhook-messages.repository';
import type { DueMessage } from '../../src/webhooks/delivery/send-slots';
import { PATIENCE_MS, waitFor } from '../harness/patience';

/** Not the default (4), so the suite shows the variable is read. */
const PER_ENDPOINT = 3;

/**
 * D's sends hang until this timeout (the longest allowed), and D has messages enough to hold its
 * endpoints again each time they end: a delivery of B's that waited on D's slots would wait out
 * one of these. The receivers are dropped at the end, and the sends they held then fail at once.
 */
const D_TIMEOUT_MS = 60_000;
const ENV = {
  WEBHOOK_TIMEOUT_MS: String(D_TIMEOUT_MS),
  WEBHOOK_POLL_MS: '100',
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: String(PER_ENDPOINT),
  MAX_ACTIVE_TOKENS_PER_IDENTITY: '0',
};

/** Waits until `done()` holds, or fails naming `what` after `ms`. */
const until = (what: string, done: () => boolean, ms = PATIENCE_MS) => waitFor(what, done, ms, 20);

/**
 * One business's dead receivers must not delay another's webhooks: before, a worker
 * sent a claim of 64 at once and waited for the slowest, so 20 receivers that never answer held
 * every other business's deliveries for the whole timeout, batch after batch.
 */
describe.each(DRIVERS)('fair webhook delivery on %s', (driver) => {
  /** One instance on SQLite (one process's database); two on one PostgreSQL database. */
  const apps: TestApp[] = [];
  const receiver = new WebhookReceiver();
  const hanging: HangingReceiver[] = [];

  beforeAll(async () => {
    await receiver.start();
    apps.push(await bootTestApp(driver, ENV));
    if (driver === 'postgres') apps.push(await bootTestApp(driver, ENV, apps[0].db));
  });

  afterAll(async () => {
    await Promise.all(hanging.map((h) => h.stop()));
    for (const app of apps.slice(1)) await app.close({ keepDatabase: true });
    await apps[0]?.close();
    await receiver.stop();
  });

  /** The instance the i-th request goes through: each in turn. */
  const via = (i: number) => apps[i % apps.length];

  async function register(biz: BusinessFixture, url: string, app = apps[0]): Promise<string> {
    const res = await app
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url, event_types: ['token.created'] });
    expect(res.status).toBe(201);
    return res.body.data.id as string;
  }

  async function deadReceivers(count: number): Promise<HangingReceiver[]> {
    const made = await Promise.all(
      Array.from({ length: count }, () => new HangingReceiver().start()),
    );
    hanging.push(...made);
    return made;
  }

  /** `count` tokens of the business, eight at a time, through each instance in turn. */
  async function tokens(
    biz: BusinessFixture,
    count: number,
    label: string,
    through = via,
  ): Promise<void> {
    for (let i = 0; i < count; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, count - i) }, (_, j) =>
          createToken(through(i + j), asOwner(biz), { name: `${label}-${i + j}` }),
        ),
      );
    }
  }

  it("delivers each of B's 50 token.created while D's 20 receivers hang, none waiting out one of D's timeouts", async () => {
    const d = await createBusiness(apps[0]);
    const dead = await deadReceivers(20);
    for (const h of dead) await register(d, h.url);
    const b = await createBusiness(apps[0]);
    await register(b, receiver.url);

    // 2,000 messages of D's, each older than any of B's, and every one of D's endpoints holding
    // sends that will never be answered before B begins.
    await tokens(d, 100, 'd');
    await until("a send held by each of D's receivers", () => dead.every((h) => h.open > 0));

    const sent = new Map<string, number>();
    for (let i = 0; i < 50; i++) {
      const at = Date.now();
      const token = await createToken(via(i), asOwner(b), { name: `b-${i}` });
      sent.set(token.id, at);
    }
    const arrival = (id: string) =>
      receiver.received.find(
        (r) =>
          r.json.type === 'token.created' &&
          (r.json.data as { target?: { id?: string } }).target?.id === id,
      )?.at;
    await until("B's 50 deliveries", () => [...sent.keys()].every((id) => arrival(id)), 300_000);

    // From the moment each request was sent, which is before its commit. None waited as long as
    // one of D's sends takes to end: B's deliveries owe nothing to D's timeouts. How soon they
    // came is printed, a figure for the bench (bench/webhooks.ts), not a clock held here.
    const ms = [...sent].map(([id, at]) => arrival(id)! - at).sort((x, y) => x - y);
    console.log(
      `webhooks-fairness: B's deliveries after ${ms[Math.floor(ms.length / 2)]} ms (median), ${ms[ms.length - 1]} ms at most`,
    );
    expect(ms.filter((late) => late >= D_TIMEOUT_MS)).toEqual([]);
    // D never holds more than its endpoints' caps, nor more than half of an instance's slots.
    for (const h of dead) expect(h.peak).toBeLessThanOrEqual(PER_ENDPOINT * apps.length);
    expect(dead.reduce((n, h) => n + h.open, 0)).toBeLessThanOrEqual(32 * apps.length);
  }, 600_000); // a bound on a hang: 150 tokens made and 2,000 messages queued, on a busy machine

  it('keeps at most N sends open to a receiver that hangs, and one at a time once it fails', async () => {
    const c = await createBusiness(apps[0]);
    const [h] = await deadReceivers(1);
    await register(c, h.url);
    // Enough that every instance holds sends of C's: one instance takes at most its sends and
    // four queued behind each (QUEUED_PER_SEND, in webhook-claim-pass.ts), so with 12 one instance
    // could take them all and leave the other none to send (a run once timed out waiting for 6).
    const heldByOne = 5 * PER_ENDPOINT;
    await tokens(c, Math.max(12, heldByOne * (apps.length - 1) + 2 * PER_ENDPOINT), 'c');
    const cap = PER_ENDPOINT * apps.length;
    await until(`${cap} sends open`, () => h.open >= cap);
    await sleep(500);
    expect({ open: h.open, accepted: h.accepted, peak: h.peak }).toEqual({
      open: cap,
      accepted: cap,
      peak: cap,
    });

    // The receiver drops them: the attempts fail, and the endpoint is failing from then on.
    h.drop();
    await until('the next attempts', () => h.accepted > cap);
    h.peak = h.open;
    await sleep(500);
    expect({ open: h.open, peak: h.peak }).toEqual({ open: apps.length, peak: apps.length });
    // What waited behind the failed sends was handed back uncounted: one attempt per send made.
    expect(await attemptsCounted(apps[0], h)).toBe(h.accepted);
  });

  /** The attempts counted on the messages of the one endpoint that sends to `h`. */
  async function attemptsCounted(app: TestApp, h: HangingReceiver): Promise<number> {
    const rows = await app.sql<{ attempts: number }>(
      'SELECT m.attempts FROM webhook_messages m JOIN webhook_endpoints e ON e.id = m.endpoint_id ' +
        'WHERE e.url = ?',
      [h.url],
    );
    return rows.reduce((n, r) => n + Number(r.attempts), 0);
  }

  it('hands back, uncounted, what waits unsent when it stops, and waits for what is in flight', async () => {
    const t = await bootTestApp(driver, ENV);
    try {
      const biz = await createBusiness(t);
      const [h] = await deadReceivers(1);
      await register(biz, h.url, t);
      await tokens(biz, 10, 'stop', () => t);
      await until(`${PER_ENDPOINT} sends open`, () => h.open >= PER_ENDPOINT);
      await sleep(300);
      const stopping = t.app.get(WebhookDispatcher).onModuleDestroy();
      // The sends in flight then fail at once, so the stop need not wait for their timeout.
      h.drop();
      await stopping;
      const rows = await t.sql<{ attempts: number; status: string }>(
        'SELECT attempts, status FROM webhook_messages WHERE endpoint_id IN ' +
          '(SELECT id FROM webhook_endpoints WHERE url = ?)',
        [h.url],
      );
      expect(rows.map((r) => [r.status, Number(r.attempts)]).sort()).toEqual([
        ...Array.from({ length: 10 - PER_ENDPOINT }, () => ['pending', 0]),
        ...Array.from({ length: PER_ENDPOINT }, () => ['pending', 1]),
      ]);
      // Each attempt made is recorded, as a failure to retry.
      const attempts = await t.sql('SELECT id FROM webhook_attempts');
      expect(attempts).toHaveLength(PER_ENDPOINT);
    } finally {
      await t.close();
    }
  });

  /**
   * The claim's reads, on each driver's own SQL: messages due in 2100, which the running workers
   * (on today's clock) never take, read and claimed as of then.
   */
  describe('the claim', () => {
    const NOW = new Date('2100-01-01T00:00:00.000Z');
    const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
    const lease = at(3_600);

    /** Endpoints of their own chains, in id order, each with `count` messages due a second apart. */
    async function seed(endpoints: number, count: number, failing: number[] = []) {
      const data = apps[0].app.get(DataSource);
      const chain = randomUUID();
      const ids = Array.from({ length: endpoints }, () => randomUUID()).sort();
      const created = new Date();
      await data.manager.insert(
        WebhookEndpoint,
        ids.map((id, i) => ({
          id,
          chainId: chain,
          url: 'https://hooks.example.test/',
          description: '',
          eventTypes: ['*'],
          personalData: true,
          signatureScheme: 'v1' as const,
          secretSealed: 'x',
          previousSecretSealed: null,
          previousSecretUntil: null,
          disabledAt: null,
          disabledReason: null,
          failingSince: failing.includes(i) ? created : null,
          createdAt: created,
          updatedAt: created,
        })),
      );
      const messages: WebhookMessage[] = ids.flatMap((endpointId, e) =>
        Array.from({ length: count }, (_, i) => ({
          id: messageId(),
          endpointId,
          chainId: chain,
          eventType: 'webhook.test',
          payload: '{}',
          // Written newest first, so an order seen is the claim's, not the insert's.
          status: 'pending' as const,
          attempts: 0,
          nextAttemptAt: at(-100 + count - i + e),
          createdAt: created,
          deliveredAt: null,
        })),
      );
      await apps[0].app
        .get(UnitOfWork)
        .run((tx) => apps[0].app.get(WebhookMessagesRepository).enqueue(messages, tx));
      return { ids, messages };
    }

    const claims = (app = apps[0]) => app.app.get(WebhookClaims);
    const primary = (app = apps[0]) => app.app.get(Database).primary;

    /** Every endpoint but these: the other tests' endpoints, whose messages are due in 2100 too. */
    async function others(mine: string[]): Promise<string[]> {
      const all = await apps[0].sql<{ id: string }>('SELECT id FROM webhook_endpoints');
      return all.map((e) => e.id).filter((id) => !mine.includes(id));
    }

    it("reads each endpoint's oldest due messages, endpoint after endpoint, from where it is told", async () => {
      const { ids, messages } = await seed(5, 4, [1]);
      const skip = await others(ids);
      const oldest = (e: number) =>
        messages
          .filter((m) => m.endpointId === ids[e])
          .sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime())
          .slice(0, 2)
          .map((m) => m.id);
      const read = (after: string | null, count: number, also: string[] = []) =>
        claims().dueByEndpoint(NOW, after, count, 2, [...skip, ...also], primary());

      const first = await read(null, 3, [ids[2]]);
      expect(first.endpoints).toEqual([ids[0], ids[1], ids[3]]);
      expect(first.messages.map((m) => m.id)).toEqual([...oldest(0), ...oldest(1), ...oldest(3)]);
      expect(first.messages.map((m) => m.failing)).toEqual([
        false,
        false,
        true,
        true,
        false,
        false,
      ]);
      expect(first.messages[0]).toMatchObject({ endpointId: ids[0], nextAttemptAt: at(-99) });

      const after = await read(ids[1], 5);
      expect(after.endpoints).toEqual([ids[2], ids[3], ids[4]]);
      expect(after.messages.map((m) => m.id)).toEqual([...oldest(2), ...oldest(3), ...oldest(4)]);

      // Not due yet, or no longer pending: not read.
      expect(await claims().dueByEndpoint(at(-1_000), null, 5, 2, skip, primary())).toEqual({
        endpoints: [],
        messages: [],
      });
      await apps[0].sql("UPDATE webhook_messages SET status = 'delivered' WHERE endpoint_id = ?", [
        ids[0],
      ]);
      expect((await read(null, 1)).endpoints).toEqual([ids[1]]);
    });

    /** The claim's view of messages: chosen as they are read. */
    const asDue = (messages: WebhookMessage[]): DueMessage[] =>
      messages.map((m) => ({ ...m, failing: false }));
    const oldestFirst = (messages: WebhookMessage[]) =>
      [...messages].sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime());

    it('claims each message once, however many instances ask at once, and counts its attempt', async () => {
      const { messages } = await seed(1, 20);
      const chosen = asDue(oldestFirst(messages));
      const taken = await Promise.all(
        apps.flatMap((app) =>
          [0, 1].map(() =>
            app.app.get(UnitOfWork).run((tx) => claims(app).take(chosen, NOW, lease, tx)),
          ),
        ),
      );
      const ids = taken.flat().map((m) => m.id);
      expect(ids.sort()).toEqual(chosen.map((m) => m.id).sort());
      expect(taken.flat().map((m) => [m.attempts, m.leaseUntil])).toEqual(
        chosen.map(() => [1, lease]),
      );
      // Each claim answers oldest first.
      for (const claim of taken) {
        expect(claim.map((m) => m.id)).toEqual(
          chosen.map((m) => m.id).filter((id) => claim.some((c) => c.id === id)),
        );
      }
      // Taken: no longer due, so another claim gets none of them.
      expect(
        await apps[0].app.get(UnitOfWork).run((tx) => claims().take(chosen, NOW, lease, tx)),
      ).toEqual([]);
    });

    it(
      driver === 'postgres'
        ? 'takes the next in line when another instance holds the chosen ones'
        : 'takes only the chosen ones (one writer: nothing else took them)',
      async () => {
        const { messages } = await seed(1, 8);
        const inOrder = oldestFirst(messages);
        const chosen = asDue(inOrder.slice(0, 3));
        const [first, second] = await Promise.all(
          [0, 1].map((i) =>
            via(i)
              .app.get(UnitOfWork)
              .run((tx) => claims(via(i)).take(chosen, NOW, lease, tx)),
          ),
        );
        const ids = (ms: { id: string }[]) => ms.map((m) => m.id);
        expect([...ids(first), ...ids(second)].sort()).toEqual(
          ids(driver === 'postgres' ? inOrder.slice(0, 6) : inOrder.slice(0, 3)).sort(),
        );
      },
    );
  });
});

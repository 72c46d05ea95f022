import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { BusinessFixture, createBusiness, addMember } from '../factories/tenancy.factory';
import { asBearer, asMember, asOwner, Caller } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { WebhookMessagesRepository } from '../../src/webhooks/store/webhook-messages.repository';
import { messageId } from '../../src/webhooks/store/webhook-message.entity';
import {
  callerWith,
  Chain,
  PLATFORM_CHAIN,
  placeEndpoint,
  platformToken,
  WEBHOOKS_PATH,
} from './webhook-fixtures';
import { DRIVERS } from '../setup/servers';

/**
 * "webhooks:write reads the audit log" tried as an attacker who holds a token scoped to
 * `["webhooks:write"]` would try it: subscribing, moving the owner's SIEM endpoint and replaying
 * its messages, on both chains, by the other doors (messages left queued after the types changed,
 * dead ones, a parallel request, the platform's audit routes). Every cell of the rule:
 * webhook-policy.e2e-spec.ts.
 */

const SIEM = 'http://127.0.0.1:9/siem';
const ATTACKER = 'http://127.0.0.1:9/attacker';

describe.each(DRIVERS)('audit data through webhooks on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  /** The unrestricted caller of each chain, and a webhooks:write-only one. */
  const owner: Partial<Record<Chain, Caller>> = {};
  const writer: Partial<Record<Chain, Caller>> = {};
  const auditWriter: Partial<Record<Chain, Caller>> = {};

  beforeAll(async () => {
    // Delivery off: what the changes queue stays queued, where each test can find it.
    t = await bootTestApp(driver, { WEBHOOK_DELIVERY: 'false' });
    biz = await createBusiness(t);
    owner.business = asOwner(biz);
    owner.platform = asBearer(t.platformToken);
    for (const chain of ['business', 'platform'] as const) {
      writer[chain] = await callerWith(t, chain, biz, ['webhooks:write']);
      auditWriter[chain] = await callerWith(t, chain, biz, ['webhooks:write', 'audit:read']);
    }
  });
  afterAll(() => t?.close());

  const call = (
    chain: Chain,
    who: Caller,
    method: 'get' | 'post' | 'patch' | 'delete',
    path = '',
  ) => t.http()[method](`${WEBHOOKS_PATH[chain]}${path}`).set(who);

  async function register(chain: Chain, eventTypes: string[], url = SIEM): Promise<string> {
    const res = await call(chain, owner[chain]!, 'post')
      .send({ url, event_types: eventTypes })
      .expect(201);
    return res.body.data.id as string;
  }

  const rowOf = async (id: string) =>
    (
      await t.sql('SELECT url, event_types, disabled_at FROM webhook_endpoints WHERE id = ?', [id])
    )[0];

  const messagesOf = (id: string, type: string) =>
    t.sql<{ id: string }>(
      'SELECT id FROM webhook_messages WHERE endpoint_id = ? AND event_type = ? ORDER BY id',
      [id, type],
    );

  /** Every write on an endpoint, as `who` calls it. */
  async function everyWrite(chain: Chain, who: Caller, id: string): Promise<number[]> {
    // Its own creation was an audit event, queued to it.
    const [message] = await messagesOf(id, 'audit.event');
    expect(message).toBeDefined();
    const answers = [
      await call(chain, who, 'patch', `/${id}`).send({ url: ATTACKER }),
      await call(chain, who, 'patch', `/${id}`).send({ event_types: ['token.revoked'] }),
      await call(chain, who, 'patch', `/${id}`).send({ description: 'mine now' }),
      await call(chain, who, 'post', `/${id}/rotate-secret`),
      await call(chain, who, 'post', `/${id}/deliveries/${message.id}/redeliver`),
      await call(chain, who, 'post', `/${id}/recover?since=2000-01-01T00:00:00Z`),
      await call(chain, who, 'post', `/${id}/test`),
      await call(chain, who, 'patch', `/${id}`).send({ enabled: false }),
      await call(chain, who, 'delete', `/${id}`),
    ];
    for (const res of answers.filter((r) => r.status === 403)) {
      expectError(res, 403, 'INSUFFICIENT_SCOPE');
    }
    return answers.map((r) => r.status);
  }

  describe.each(['business', 'platform'] as const)('on the %s chain', (chain) => {
    it('refuses a webhooks:write-only token every way into audit events, and leaves them as they were', async () => {
      for (const types of [['audit.event'], ['*'], ['token.revoked', 'audit.event']]) {
        const res = await call(chain, writer[chain]!, 'post').send({
          url: ATTACKER,
          event_types: types,
        });
        expectError(res, 403, 'INSUFFICIENT_SCOPE');
      }
      for (const types of [['audit.event'], ['*']]) {
        const id = await register(chain, types);
        const before = await rowOf(id);
        expect(await everyWrite(chain, writer[chain]!, id)).toEqual(Array(9).fill(403));
        expect(await rowOf(id)).toEqual(before);
      }
      // Nor does it read the log the plain way, as before.
      const log = chain === 'business' ? '/api/v1/audit-events' : '/platform/v1/audit-events';
      expectError(await t.http().get(log).set(writer[chain]!), 403, 'INSUFFICIENT_SCOPE');
    });

    it('lets webhooks:write with audit:read do all of it, and webhooks:write alone a token.* endpoint', async () => {
      const created = await call(chain, auditWriter[chain]!, 'post')
        .send({ url: SIEM, event_types: ['audit.event'] })
        .expect(201);
      expect(await everyWrite(chain, auditWriter[chain]!, created.body.data.id)).toEqual([
        200, 200, 200, 201, 201, 201, 201, 200, 200,
      ]);
      // An endpoint of typed events is the writer's as it was.
      const typed = await call(chain, writer[chain]!, 'post')
        .send({ url: SIEM, event_types: ['token.revoked', 'token.created'] })
        .expect(201);
      const id = typed.body.data.id as string;
      const test = await call(chain, writer[chain]!, 'post', `/${id}/test`).expect(201);
      await call(chain, writer[chain]!, 'patch', `/${id}`).send({ url: ATTACKER }).expect(200);
      await call(
        chain,
        writer[chain]!,
        'post',
        `/${id}/deliveries/${test.body.data.message_id}/redeliver`,
      ).expect(201);
      await call(chain, writer[chain]!, 'post', `/${id}/rotate-secret`).expect(201);
      await call(chain, writer[chain]!, 'delete', `/${id}`).expect(200);
    });

    it('keeps an endpoint that was sent audit events for audit:read once its types changed away', async () => {
      const id = await register(chain, ['audit.event']);
      await call(chain, owner[chain]!, 'patch', `/${id}`)
        .send({ event_types: ['token.revoked'] })
        .expect(200);
      // Its URL was set by a caller who reads the log, so its typed events still carry who acted
      // and from where (and its audit events may still wait in its outbox): it is the log's.
      const before = await rowOf(id);
      expect(await everyWrite(chain, writer[chain]!, id)).toEqual(Array(9).fill(403));
      expect(await rowOf(id)).toEqual(before);
      expect(await everyWrite(chain, auditWriter[chain]!, id)).toEqual([
        200, 200, 200, 201, 201, 201, 201, 200, 200,
      ]);
    });

    it('still keeps audit events queued to an endpoint that is not otherwise the log: no new URL, no replay', async () => {
      // A state the API no longer leaves (an endpoint once sent audit events stays the log's),
      // put straight into the tables: the rule on queued audit events holds on its own.
      const chainId = chain === 'business' ? biz.id : PLATFORM_CHAIN;
      const { id } = await placeEndpoint(t, chainId, ['token.revoked'], { url: SIEM });
      const queued = messageId();
      await t.app.get(UnitOfWork).run((tx) =>
        t.app.get(WebhookMessagesRepository).enqueue(
          [
            {
              id: queued,
              endpointId: id,
              chainId,
              eventType: 'audit.event',
              payload: '{"type":"audit.event","timestamp":"2026-01-01T00:00:00.000Z","data":{}}',
              status: 'pending',
              attempts: 0,
              nextAttemptAt: new Date(Date.now() + 3600e3),
              createdAt: new Date(),
              deliveredAt: null,
            },
          ],
          tx,
        ),
      );
      const w = writer[chain]!;
      expectError(
        await call(chain, w, 'patch', `/${id}`).send({ url: ATTACKER }),
        403,
        'INSUFFICIENT_SCOPE',
      );
      expectError(
        await call(chain, w, 'post', `/${id}/deliveries/${queued}/redeliver`),
        403,
        'INSUFFICIENT_SCOPE',
      );
      expectError(
        await call(chain, w, 'get', `/${id}/deliveries/${queued}`),
        403,
        'INSUFFICIENT_SCOPE',
      );
      await call(chain, w, 'patch', `/${id}`).send({ description: 'still the SIEM' }).expect(200);
      expect((await rowOf(id)).url).toBe(SIEM);
      await call(chain, owner[chain]!, 'delete', `/${id}`).expect(200);
    });

    it('decides a URL moved during a subscription on what the subscription left, never on before', async () => {
      for (let round = 0; round < 6; round++) {
        // The writer's own endpoint: one it may move until it is subscribed to the log.
        const made = await call(chain, writer[chain]!, 'post')
          .send({ url: SIEM, event_types: ['token.revoked'] })
          .expect(201);
        const id = made.body.data.id as string;
        const [subscribed, moved] = await Promise.all([
          call(chain, owner[chain]!, 'patch', `/${id}`).send({ event_types: ['audit.event'] }),
          call(chain, writer[chain]!, 'patch', `/${id}`).send({ url: ATTACKER }),
        ]);
        expect(subscribed.status).toBe(200);
        const row = await rowOf(id);
        if (moved.status === 200) {
          // The move came first: the owner's answer shows the URL it subscribed.
          expect(subscribed.body.data.url).toBe(ATTACKER);
        } else {
          expectError(moved, 403, 'INSUFFICIENT_SCOPE');
          expect(row.url).toBe(SIEM);
        }
        await call(chain, owner[chain]!, 'delete', `/${id}`).expect(200);
      }
    });
  });

  it('answers the body, then the endpoint, then audit:read, after the role', async () => {
    const w = writer.business!;
    const bad = await call('business', w, 'post').send({
      url: 'ftp://x',
      event_types: ['audit.event'],
    });
    expectError(bad, 422, 'VALIDATION_ERROR');
    const missing = await call(
      'business',
      w,
      'patch',
      '/00000000-0000-4000-8000-000000000000',
    ).send({
      event_types: ['*'],
    });
    expectError(missing, 404, 'WEBHOOK_NOT_FOUND');
    const member = await addMember(t, biz, 'member');
    const res = await call('business', asMember(member.token, biz.id), 'post').send({
      url: SIEM,
      event_types: ['audit.event'],
    });
    expectError(res, 403, 'INSUFFICIENT_ROLE');
  });

  it("narrows a platform token's reading of the platform log to audit:read", async () => {
    const webhooksOnly = asBearer(await platformToken(t, ['webhooks:write']));
    const auditOnly = asBearer(await platformToken(t, ['audit:read']));
    for (const path of ['', '/export', '/verify', '/checkpoint', '/checkpoints']) {
      const res = await t.http().get(`/platform/v1/audit-events${path}`).set(webhooksOnly);
      expectError(res, 403, 'INSUFFICIENT_SCOPE');
    }
    await t.http().get('/platform/v1/audit-events').set(auditOnly).expect(200);
    await t.http().get('/platform/v1/audit-events/verify').set(auditOnly).expect(200);
  });
});

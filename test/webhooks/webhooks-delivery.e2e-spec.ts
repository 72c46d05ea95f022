import { Database } from '../../src/database/connection/read-routing';
import { createHash } from 'node:crypto';
import type { Test } from 'supertest';
import {
  addMember,
  type BusinessFixture,
  createBusiness,
  createToken,
} from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, revoke, rotate } from '../harness/app/api';
import { CLI_AUTHOR } from '../../src/database/units/domain-event';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { TokenRevokedEvent } from '../../src/tokens/tokens.events';
import {
  Outcome,
  WebhookAttemptRecorder,
} from '../../src/webhooks/delivery/webhook-attempt-recorder';
import { WebhookEndpointsRepository } from '../../src/webhooks/store/webhook-endpoints.repository';
import type { WebhookEndpoint } from '../../src/webhooks/store/webhook-endpoint.entity';
import { WebhookMessage } from '../../src/webhooks/store/webhook-message.entity';
import { WebhookMessagesRepository } from '../../src/webhooks/store/webhook-messages.repository';
import { DRIVERS } from '../setup/servers';
import { FAST_RETRIES, ofBusiness, verified, waitForAttempts, webhookWorld } from './webhook-suite';
import type { TestApp } from '../harness/app/test-app';
import { PATIENCE_MS } from '../harness/patience';

/**
 * A first attempt at a `token.revoked` message, claimed until `leaseUntil`, that `endpoint`'s
 * receiver answered with `status`: what a worker hands the recorder.
 */
function answered(
  id: string,
  chainId: string,
  leaseUntil: Date,
  endpoint: WebhookEndpoint,
  status: number,
): Outcome {
  const at = new Date();
  return {
    message: {
      id,
      endpointId: endpoint.id,
      chainId,
      eventType: 'token.revoked',
      payload: '{}',
      attempts: 1,
      createdAt: at,
      leaseUntil,
      claim: 1,
    },
    endpoint,
    result: { status, latencyMs: 1, body: '', retryAfterSeconds: null, error: null },
    at,
  };
}

/**
 * Webhooks, delivery: what is sent, signed, retried, given up and told. The suites of webhooks*.e2e-spec.ts share their describe titles, so a
 * test keeps its full title wherever it lives.
 */
describe.each(DRIVERS)('webhooks on %s', (driver) => {
  const world = webhookWorld(driver, FAST_RETRIES);
  const { receiver, register } = world;
  let t: TestApp;
  beforeAll(() => (t = world.t));

  it('delivers each event type, signed as Standard Webhooks verifies it, with no secret or hash of a token', async () => {
    const biz = await createBusiness(t);
    const all = await register(biz, ['*']);
    const token = await createToken(t, asOwner(biz), { name: 'ci' });
    await rotate(t, asMember(token.secret, biz.id), token.id, { grace_period_seconds: 0 }).expect(
      201,
    );
    await t.http().get('/api/v1/me').set(asMember(token.secret, biz.id)).expect(401); // token.rejected
    const member = await addMember(t, biz, 'member');
    await t.http().delete(`/api/v1/members/${member.identityId}`).set(asOwner(biz)).expect(200);
    await t.http().post(`/platform/v1/businesses/${biz.id}/suspend`).set(asPlatform(t)).expect(200);
    await t.http().post(`/platform/v1/businesses/${biz.id}/resume`).set(asPlatform(t)).expect(200);
    await t.http().post(`/api/v1/webhooks/${all.id}/test`).set(asOwner(biz)).expect(201);

    const wanted = [
      'token.created',
      'token.rotated',
      'token.revoked',
      'token.rejected',
      'member.added',
      'member.removed',
      'business.suspended',
      'business.resumed',
      'webhook.test',
      'audit.event',
    ];
    await receiver.waitFor((got) => wanted.every((type) => got.some((r) => r.json.type === type)));
    const hashOf = (s: string) => createHash('sha256').update(s).digest('hex');
    for (const r of receiver.received) {
      expect(verified(r, all.secret)).toEqual(r.json);
      expect(r.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body).not.toContain(token.secret);
      expect(r.body).not.toContain(hashOf(token.secret));
      expect(r.body).not.toContain(member.token);
    }
    // Typed events carry the audit event; audit.event carries it as the export does, chain included.
    const revoked = receiver.ofType('token.revoked')[0].json.data;
    expect(revoked).toMatchObject({ action: 'token.revoked', target: { id: token.id } });
    for (const r of receiver.ofType('audit.event')) {
      expect(r.json.data).toEqual(
        expect.objectContaining({ prev_hash: expect.any(String), hash: expect.any(String) }),
      );
    }
    expect(receiver.ofType('business.suspended')[0].json.data).toMatchObject({
      target: { type: 'business', id: biz.id },
    });
  });

  it('sends only the types an endpoint asked for, and only to its own business', async () => {
    const biz = await createBusiness(t);
    const other = await createBusiness(t);
    await register(biz, ['token.revoked']);
    const token = await createToken(t, asOwner(biz));
    const stranger = await createToken(t, asOwner(other));
    await revoke(t, asOwner(other), stranger.id, { reason: 'not theirs' }).expect(201);
    await revoke(t, asOwner(biz), token.id, { reason: 'done' }).expect(201);
    await receiver.waitFor((got) => got.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(
      receiver.received.map((r) => [
        r.json.type,
        (r.json.data as { target: { id: string } }).target.id,
      ]),
    ).toEqual([['token.revoked', token.id]]);
  });

  it('retries a failing receiver with the same webhook-id until it answers 2xx, and lists each attempt', async () => {
    const biz = await createBusiness(t);
    const endpoint = await register(biz, ['token.revoked']);
    let calls = 0;
    receiver.answer = () => (++calls <= 3 ? { status: 500, body: 'down' } : { status: 204 });
    const token = await createToken(t, asOwner(biz));
    await revoke(t, asOwner(biz), token.id).expect(201);
    await receiver.waitFor((got) => got.length >= 4);
    const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const listed = await waitForAttempts(t, biz, endpoint.id, 4);
    expect(listed.map((a) => a.status_code)).toEqual([204, 500, 500, 500]);
    expect(listed[3]).toMatchObject({
      response_body: 'down',
      error: null,
      event_type: 'token.revoked',
    });
    expect(listed.every((a) => a.message_id === [...ids][0])).toBe(true);
  });

  it('waits out a 503 with Retry-After before it tries again, past its own shorter schedule', async () => {
    const biz = await createBusiness(t);
    await register(biz, ['token.revoked']);
    let calls = 0;
    receiver.answer = () =>
      ++calls === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200 };
    const token = await createToken(t, asOwner(biz));
    await revoke(t, asOwner(biz), token.id).expect(201);
    const [first, second] = await receiver.waitFor((got) => got.length >= 2, PATIENCE_MS);
    // FAST_RETRIES would retry after 50 ms; the receiver asked for 2 s.
    expect(second.at - first.at).toBeGreaterThanOrEqual(1_900);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
  });

  it("disables an endpoint that answers 410, audits it, and tells the business's other endpoints", async () => {
    const biz = await createBusiness(t);
    const gone = await register(biz, ['token.revoked'], `${receiver.url}?gone=1`);
    const other = await register(biz, ['webhook.disabled']);
    receiver.answer = (r) => (r.json.type === 'token.revoked' ? { status: 410 } : { status: 200 });
    const token = await createToken(t, asOwner(biz));
    await revoke(t, asOwner(biz), token.id).expect(201);
    await receiver.waitFor((got) => got.some((r) => r.json.type === 'webhook.disabled'));
    const told = receiver.ofType('webhook.disabled')[0];
    expect(verified(told, other.secret)).toMatchObject({
      type: 'webhook.disabled',
      data: { target: { id: gone.id }, metadata: { cause: 'gone' } },
    });
    const view = await t.http().get(`/api/v1/webhooks/${gone.id}`).set(asOwner(biz)).expect(200);
    expect(view.body.data).toMatchObject({ enabled: false, disabled_reason: 'gone' });
    const audit = await t
      .http()
      .get('/api/v1/audit-events?action=webhook.disabled')
      .set(asOwner(biz))
      .expect(200);
    expect(audit.body.data.items).toEqual([
      expect.objectContaining({
        target: expect.objectContaining({ id: gone.id }),
        metadata: { cause: 'gone' },
      }),
    ]);
    // The audit log names where it pointed by origin only: a path or query may hold a credential.
    expect(JSON.stringify(audit.body)).not.toContain('gone=1');
  });

  it('two workers that both find an endpoint gone disable it once, with one webhook.disabled', async () => {
    const biz = await createBusiness(t);
    const endpoint = await register(biz, ['token.revoked']);
    const token = await createToken(t, asOwner(biz));
    await revoke(t, asOwner(biz), token.id).expect(201);
    const [attempt] = await waitForAttempts(t, biz, endpoint.id, 1);
    // Each worker holds the endpoint as it read it, enabled, and records its own 410.
    const stale = await t.app
      .get(WebhookEndpointsRepository)
      .findEndpoint(biz.id, 'webhook', endpoint.id, t.app.get(Database).primary);
    const gone = () => answered(attempt.message_id, biz.id, new Date(0), stale!, 410);
    const recorder = t.app.get(WebhookAttemptRecorder);
    await recorder.recordAll([gone()]);
    await recorder.recordAll([gone()]);
    const [{ n }] = await t.sql<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'webhook.disabled' AND target_id = ?",
      [endpoint.id],
    );
    expect(Number(n)).toBe(1);
    const view = await t
      .http()
      .get(`/api/v1/webhooks/${endpoint.id}`)
      .set(asOwner(biz))
      .expect(200);
    expect(view.body.data).toMatchObject({ enabled: false, disabled_reason: 'gone' });
  });

  // Each change that kills an endpoint's pending messages, from the API.
  const killers: [string, (biz: BusinessFixture, id: string) => Test][] = [
    ['a delete', (biz, id) => t.http().delete(`/api/v1/webhooks/${id}`).set(asOwner(biz))],
    [
      'a disable',
      (biz, id) =>
        t.http().patch(`/api/v1/webhooks/${id}`).set(asOwner(biz)).send({ enabled: false }),
    ],
  ];

  it.each(killers)(
    "takes %s while a batch of the endpoint's attempts is being recorded: both are made whole",
    async (_, change) => {
      const biz = await createBusiness(t);
      const endpoint = await register(biz, ['token.revoked']);
      for (let i = 0; i < 2; i++) {
        const token = await createToken(t, asOwner(biz));
        await revoke(t, asOwner(biz), token.id).expect(201);
      }
      await waitForAttempts(t, biz, endpoint.id, 2);
      // Both taken again, as a claim leaves them: pending, their next attempt the lease. The later
      // is rewritten last, so the change's scan of the endpoint's messages meets it last.
      const lease = new Date(Date.now() + 3600e3);
      const rows = await t.sql<{ id: string }>(
        'SELECT id FROM webhook_messages WHERE endpoint_id = ? ORDER BY created_at',
        [endpoint.id],
      );
      const uow = t.app.get(UnitOfWork);
      for (const { id } of rows) {
        await uow.run((tx) =>
          tx.update(WebhookMessage, { id }, { status: 'pending', nextAttemptAt: lease }),
        );
      }
      const held = await t.app
        .get(WebhookEndpointsRepository)
        .findEndpoint(biz.id, 'webhook', endpoint.id, t.app.get(Database).primary);
      const delivered = ({ id }: { id: string }) => answered(id, biz.id, lease, held!, 200);
      // The batch records the later message, then stops while the change comes in.
      const messages = t.app.get(WebhookMessagesRepository);
      const markDelivered = messages.markDelivered.bind(messages);
      let changing: Promise<{ status: number }> | undefined;
      const pause = jest.spyOn(messages, 'markDelivered').mockImplementation(async (...args) => {
        const done = await markDelivered(...args);
        if (!changing) {
          changing = Promise.resolve(change(biz, endpoint.id));
          await new Promise((r) => setTimeout(r, 300));
        }
        return done;
      });
      try {
        await t.app.get(WebhookAttemptRecorder).recordAll([delivered(rows[1]), delivered(rows[0])]);
      } finally {
        pause.mockRestore();
      }
      expect((await changing!).status).toBe(200);
      const after = await t.sql<{ status: string }>(
        'SELECT status FROM webhook_messages WHERE endpoint_id = ?',
        [endpoint.id],
      );
      expect(after.map((m) => m.status)).toEqual(['delivered', 'delivered']);
      const [{ n }] = await t.sql<{ n: number | string }>(
        'SELECT COUNT(*) AS n FROM webhook_attempts WHERE endpoint_id = ?',
        [endpoint.id],
      );
      expect(Number(n)).toBe(4);
    },
  );

  it('signs with both secrets for a day after a rotation, so either verifies', async () => {
    const biz = await createBusiness(t);
    const endpoint = await register(biz, ['token.created']);
    const rotated = await t
      .http()
      .post(`/api/v1/webhooks/${endpoint.id}/rotate-secret`)
      .set(asOwner(biz))
      .expect(201);
    const fresh = rotated.body.data.secret as string;
    expect(fresh).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.body.data.previous_secret_valid_until) - Date.now()).toBeGreaterThan(
      23 * 3600e3,
    );
    await t.http().post(`/api/v1/webhooks/${endpoint.id}/test`).set(asOwner(biz)).expect(201);
    const [r] = await receiver.waitFor((got) => got.length >= 1);
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verified(r, fresh)).toEqual(r.json);
    expect(verified(r, endpoint.secret)).toEqual(r.json);
  });

  it('queues nothing for a change that rolls back, and its message with one that commits', async () => {
    const biz = await createBusiness(t);
    await register(biz, ['token.revoked']);
    const token = await createToken(t, asOwner(biz));
    const ref = {
      id: token.id,
      jti: token.jti,
      name: 'ci',
      businessId: biz.id,
      identityId: biz.ownerId,
    };
    const messages = async () =>
      (
        await t.sql<{ n: number }>(
          'SELECT COUNT(*) AS n FROM webhook_messages WHERE chain_id = ?',
          [biz.id],
        )
      )[0].n;
    const uow = t.app.get(UnitOfWork);
    await expect(
      uow.run(async (tx) => {
        await tx.publish(new TokenRevokedEvent(CLI_AUTHOR, ref, 'rolled back', 'requested'));
        throw new Error('the change fails after its event');
      }),
    ).rejects.toThrow('the change fails after its event');
    expect(Number(await messages())).toBe(0);
    await uow.run((tx) => tx.publish(new TokenRevokedEvent(CLI_AUTHOR, ref, 'kept', 'requested')));
    expect(Number(await messages())).toBe(1);
    await receiver.waitFor((got) => got.some(ofBusiness(biz)));
  });

  it("tells a business of its suspension without the platform's actor, address, request or chain", async () => {
    const platform = await t
      .http()
      .post('/platform/v1/webhooks')
      .set(asPlatform(t))
      .send({ url: `${receiver.url}?platform=1`, event_types: ['business.suspended'] })
      .expect(201);
    const biz = await createBusiness(t);
    const own = await register(biz, ['business.suspended', 'business.resumed']);
    await t
      .http()
      .post(`/platform/v1/businesses/${biz.id}/suspend`)
      .set(asPlatform(t))
      .set('user-agent', 'platform-console/1.0')
      .expect(200);
    await t.http().post(`/platform/v1/businesses/${biz.id}/resume`).set(asPlatform(t)).expect(200);
    await receiver.waitFor((got) => got.filter(ofBusiness(biz)).length >= 3);
    await t
      .http()
      .delete(`/platform/v1/webhooks/${platform.body.data.id}`)
      .set(asPlatform(t))
      .expect(200);

    // The platform chain's own endpoint gets the whole line, as the platform's export has it.
    const [full] = receiver.received.filter((r) => r.url.includes('platform=1'));
    expect(verified(full, platform.body.data.secret)).toMatchObject({
      type: 'business.suspended',
      data: {
        actor: expect.objectContaining({ type: expect.any(String) }),
        user_agent: 'platform-console/1.0',
        hash: expect.any(String),
      },
    });
    const line = full.json.data as Record<string, unknown> & { actor: Record<string, unknown> };
    const platformValues = [
      line.actor.id,
      line.actor.label,
      line.ip,
      line.user_agent,
      line.request_id,
      line.prev_hash,
      line.hash,
    ].filter((v): v is string => typeof v === 'string' && v.length > 0);
    expect(platformValues.length).toBeGreaterThanOrEqual(6);
    const tenant = receiver.received.filter((r) => !r.url.includes('platform=1'));
    expect(tenant.map((r) => r.json.type).sort()).toEqual([
      'business.resumed',
      'business.suspended',
    ]);
    for (const r of tenant) {
      expect(verified(r, own.secret)).toEqual(r.json);
      expect(r.json.data).toEqual({
        business_id: biz.id,
        occurred_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        action: r.json.type,
        outcome: 'success',
        target: { type: 'business', id: biz.id, label: expect.any(String) },
        metadata: {},
      });
      for (const leaked of [
        'actor',
        'ip',
        'user_agent',
        'seq',
        'prev_hash',
        'hash',
        'request_id',
      ]) {
        expect(r.json.data).not.toHaveProperty(leaked);
      }
      for (const text of platformValues) expect(r.body).not.toContain(text);
    }
  });
});

describe.each(DRIVERS)('a webhook endpoint that keeps failing, on %s', (driver) => {
  const world = webhookWorld(driver, { ...FAST_RETRIES, WEBHOOK_DISABLE_AFTER_SECONDS: '1' });
  const { receiver } = world;
  let t: TestApp;
  beforeAll(() => (t = world.t));

  it('is disabled after failing that long, audited, and the other endpoints are told', async () => {
    const biz = await createBusiness(t);
    const failing = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: `${receiver.url}?failing=1`, event_types: ['token.revoked'] })
      .expect(201);
    await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['webhook.disabled'] })
      .expect(201);
    receiver.answer = (r) => (r.json.type === 'token.revoked' ? { status: 500 } : { status: 200 });
    // Revocations keep coming while it fails, so attempts outlast the second.
    for (let i = 0; i < 8; i++) {
      const token = await createToken(t, asOwner(biz));
      await revoke(t, asOwner(biz), token.id).expect(201);
      await new Promise((r) => setTimeout(r, 250));
    }
    await receiver.waitFor((got) => got.some((r) => r.json.type === 'webhook.disabled'));
    const view = await t
      .http()
      .get(`/api/v1/webhooks/${failing.body.data.id}`)
      .set(asOwner(biz))
      .expect(200);
    expect(view.body.data).toMatchObject({ enabled: false, disabled_reason: 'failing' });
    const audit = await t
      .http()
      .get('/api/v1/audit-events?action=webhook.disabled')
      .set(asOwner(biz))
      .expect(200);
    expect(audit.body.data.items).toEqual([
      expect.objectContaining({
        target: expect.objectContaining({ id: failing.body.data.id }),
        metadata: { cause: 'failing' },
        actor: expect.objectContaining({ type: 'system' }),
      }),
    ]);
  });
});

import { createHash } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
} from './factories/tenancy.factory';
import { asMember, asOwner, asPlatform, revoke, rotate } from './helpers/api';
import { CLI_AUTHOR } from '../src/database/domain-event';
import { UnitOfWork } from '../src/database/unit-of-work';
import { TokenRevokedEvent } from '../src/tokens/tokens.events';
import { Outcome, WebhookAttemptRecorder } from '../src/webhooks/webhook-attempt-recorder';
import { WebhooksRepository } from '../src/webhooks/webhooks.repository';
import { bootTestApp, TestApp } from './helpers/test-app';
import { Received, WebhookReceiver } from './helpers/webhook-receiver';
import { DRIVERS } from './setup/servers';

/** Short retries, so a receiver that fails a few times is retried within a test. */
const FAST_RETRIES = { WEBHOOK_RETRY_SCHEDULE: '50ms,50ms,50ms,50ms', WEBHOOK_POLL_MS: '50' };

interface Endpoint {
  id: string;
  secret: string;
}

describe.each(DRIVERS)('webhooks on %s', (driver) => {
  let t: TestApp;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await bootTestApp(driver, FAST_RETRIES);
  });

  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  beforeEach(() => {
    receiver.received.length = 0;
    receiver.answer = () => ({ status: 200, body: 'ok' });
  });

  async function register(
    biz: BusinessFixture,
    eventTypes: string[] = ['*'],
    url = receiver.url,
  ): Promise<Endpoint> {
    const res = await t
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

  /** Checks a delivery's signature the way a receiver would: with the standardwebhooks package. */
  function verified(r: Received, secret: string): unknown {
    return new Webhook(secret).verify(r.body, {
      'webhook-id': String(r.headers['webhook-id']),
      'webhook-timestamp': String(r.headers['webhook-timestamp']),
      'webhook-signature': String(r.headers['webhook-signature']),
    });
  }

  const ofBusiness = (biz: BusinessFixture) => (r: Received) =>
    (r.json.data as { business_id?: string }).business_id === biz.id ||
    (r.json.data as { target?: { id?: string } }).target?.id === biz.id;

  it('shows the secret once, with no-store, and never in a list or a view', async () => {
    const biz = await createBusiness(t);
    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['token.revoked'] })
      .expect(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.data.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const list = await t.http().get('/api/v1/webhooks').set(asOwner(biz)).expect(200);
    const one = await t.http().get(`/api/v1/webhooks/${res.body.data.id}`).set(asOwner(biz));
    for (const body of [list.text, one.text]) {
      expect(body).not.toContain(res.body.data.secret);
      expect(body).not.toContain('"secret"');
    }
    expect(list.body.data.items).toEqual([
      expect.objectContaining({ id: res.body.data.id, enabled: true }),
    ]);
  });

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
    const listed = await waitForAttempts(biz, endpoint.id, 4);
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
    const [first, second] = await receiver.waitFor((got) => got.length >= 2, 15_000);
    // FAST_RETRIES would retry after 50 ms; the receiver asked for 2 s.
    expect(second.at - first.at).toBeGreaterThanOrEqual(1_900);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
  });

  async function waitForAttempts(biz: BusinessFixture, endpointId: string, count: number) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await t
        .http()
        .get(`/api/v1/webhooks/${endpointId}/deliveries`)
        .set(asOwner(biz))
        .expect(200);
      const items = res.body.data.items as {
        status_code: number | null;
        message_id: string;
        response_body: string;
        error: string | null;
        event_type: string;
      }[];
      if (items.length >= count || Date.now() > deadline) return items;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

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
    const [attempt] = await waitForAttempts(biz, endpoint.id, 1);
    // Each worker holds the endpoint as it read it, enabled, and records its own 410.
    const stale = await t.app.get(WebhooksRepository).findEndpoint(null, biz.id, endpoint.id);
    const gone = (): Outcome => ({
      message: {
        id: attempt.message_id,
        endpointId: endpoint.id,
        chainId: biz.id,
        eventType: 'token.revoked',
        payload: '{}',
        attempts: 1,
        createdAt: new Date(),
        leaseUntil: new Date(0),
      },
      endpoint: stale,
      result: { status: 410, latencyMs: 1, body: '', retryAfterSeconds: null, error: null },
      at: new Date(),
    });
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

  it('changes an endpoint in part, validates what it changes, and sends nothing while disabled', async () => {
    const biz = await createBusiness(t);
    const endpoint = await register(biz, ['token.created']);
    const patch = (body: object) =>
      t.http().patch(`/api/v1/webhooks/${endpoint.id}`).set(asOwner(biz)).send(body);
    const bad = await patch({ event_types: ['token.nope'] });
    expect({ status: bad.status, loc: bad.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['body', 'event_types'],
    });
    const badUrl = await patch({ url: 'ftp://example.com/x' });
    expect({ status: badUrl.status, loc: badUrl.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['body', 'url'],
    });
    const renamed = await patch({ description: 'renamed' }).expect(200);
    expect(renamed.body.data).toMatchObject({
      description: 'renamed',
      event_types: ['token.created'],
    });
    await patch({ enabled: false }).expect(200);
    await createToken(t, asOwner(biz));
    await patch({ enabled: true, event_types: ['token.revoked'] }).expect(200);
    const token = await createToken(t, asOwner(biz));
    await revoke(t, asOwner(biz), token.id).expect(201);
    await receiver.waitFor((got) => got.some(ofBusiness(biz)));
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received.filter(ofBusiness(biz)).map((r) => r.json.type)).toEqual([
      'token.revoked',
    ]);
    const audit = await t
      .http()
      .get('/api/v1/audit-events?action=webhook.updated')
      .set(asOwner(biz))
      .expect(200);
    expect(audit.body.data.items.map((e: { metadata: object }) => e.metadata)).toEqual([
      { changed: ['event_types', 'enabled'] },
      { changed: ['enabled'] },
      { changed: ['description'] },
    ]);
  });

  it('gives a message up once its retries are spent, and resends it on recover, counting it all in /metrics', async () => {
    const biz = await createBusiness(t);
    const endpoint = await register(biz, ['token.revoked']);
    receiver.answer = () => ({ status: 500 });
    const token = await createToken(t, asOwner(biz));
    const before = new Date(Date.now() - 1000).toISOString();
    await revoke(t, asOwner(biz), token.id).expect(201);
    // The first attempt and the four retries of FAST_RETRIES.
    await waitForAttempts(biz, endpoint.id, 5);
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
    const deadline = Date.now() + 5000;
    while ((await status())[0] !== 'delivered' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await status()).toEqual(['delivered']);

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

  it('keeps to 20 endpoints a business', async () => {
    const biz = await createBusiness(t);
    for (let i = 0; i < 20; i++) await register(biz, ['token.revoked']);
    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['*'] });
    expect({ status: res.status, code: res.body.code }).toEqual({
      status: 409,
      code: 'WEBHOOK_LIMIT_REACHED',
    });
  });

  it("answers 404 for another business's endpoint, and 403 to a member", async () => {
    const biz = await createBusiness(t);
    const other = await createBusiness(t);
    const endpoint = await register(other);
    for (const [method, path] of [
      ['get', ''],
      ['patch', ''],
      ['delete', ''],
      ['post', '/test'],
      ['post', '/rotate-secret'],
      ['get', '/deliveries'],
    ] as const) {
      const res = await t
        .http()
        [method](`/api/v1/webhooks/${endpoint.id}${path}`)
        .set(asOwner(biz))
        .send({});
      expect({ path: `${method} ${path}`, status: res.status, code: res.body.code }).toEqual({
        path: `${method} ${path}`,
        status: 404,
        code: 'WEBHOOK_NOT_FOUND',
      });
    }
    const member = await addMember(t, biz, 'member');
    const res = await t.http().get('/api/v1/webhooks').set(asMember(member.token, biz.id));
    expect(res.status).toBe(403);
    const unscoped = await createToken(t, asOwner(biz), { scopes: ['audit:read'] });
    const denied = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asMember(unscoped.secret, biz.id))
      .send({ url: receiver.url, event_types: ['*'] });
    expect({ status: denied.status, code: denied.body.code }).toEqual({
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
    });
  });

  it('lets a platform admin follow the platform chain', async () => {
    const res = await t
      .http()
      .post('/platform/v1/webhooks')
      .set(asPlatform(t))
      .send({ url: receiver.url, event_types: ['business.suspended'] })
      .expect(201);
    const biz = await createBusiness(t);
    await t.http().post(`/platform/v1/businesses/${biz.id}/suspend`).set(asPlatform(t)).expect(200);
    await receiver.waitFor((got) => got.some(ofBusiness(biz)));
    expect(verified(receiver.received[0], res.body.data.secret)).toMatchObject({
      type: 'business.suspended',
    });
    await t
      .http()
      .delete(`/platform/v1/webhooks/${res.body.data.id}`)
      .set(asPlatform(t))
      .expect(200);
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

describe.each(DRIVERS)('webhook targets on %s, private addresses refused', (driver) => {
  let t: TestApp;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await bootTestApp(driver, { WEBHOOK_ALLOW_PRIVATE: 'false', WEBHOOK_ALLOW_HTTP: 'false' });
  });

  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('refuses, at delivery, a host whose DNS answer turned private after registration', async () => {
    const dns = jest.requireActual<typeof import('node:dns')>('node:dns');
    const realLookup = dns.lookup;
    const realPromise = dns.promises.lookup;
    // rebind.example resolves to a public address at registration, then to loopback.
    let answer = '93.184.215.14';
    const registration = jest
      .spyOn(dns.promises, 'lookup')
      .mockImplementation(((host: string, options: object) =>
        host === 'rebind.example'
          ? Promise.resolve([{ address: answer, family: 4 }])
          : realPromise(host, options as never)) as typeof dns.promises.lookup);
    const delivery = jest
      .spyOn(dns, 'lookup')
      .mockImplementation(((
        host: string,
        options: object,
        callback: (e: Error | null, a: unknown) => void,
      ) =>
        host === 'rebind.example'
          ? callback(null, [{ address: answer, family: 4 }])
          : realLookup(host, options as never, callback as never)) as unknown as typeof dns.lookup);
    try {
      const biz = await createBusiness(t);
      const port = new URL(receiver.url).port;
      const created = await t
        .http()
        .post('/api/v1/webhooks')
        .set(asOwner(biz))
        .send({ url: `https://rebind.example:${port}/hook`, event_types: ['token.revoked'] })
        .expect(201);
      answer = '127.0.0.1';
      await t
        .http()
        .post(`/api/v1/webhooks/${created.body.data.id}/test`)
        .set(asOwner(biz))
        .expect(201);
      const deadline = Date.now() + 10_000;
      let attempts: { error: string | null; status_code: number | null }[] = [];
      while (attempts.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        const res = await t
          .http()
          .get(`/api/v1/webhooks/${created.body.data.id}/deliveries`)
          .set(asOwner(biz));
        attempts = res.body.data.items;
      }
      expect(attempts[0]).toMatchObject({ error: 'refused_address', status_code: null });
      expect(receiver.received).toEqual([]);
    } finally {
      registration.mockRestore();
      delivery.mockRestore();
    }
  });

  it.each([
    ['http, not https', 'http://hooks.example.com/x'],
    ['a loopback address', 'https://127.0.0.1/x'],
    ['a name that resolves to loopback', 'https://localhost/x'],
    ['the metadata address', 'https://169.254.169.254/latest'],
    ['a private address', 'https://10.0.0.7/x'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/x'],
    ['credentials in the URL', 'https://user:pw@hooks.example.com/x'],
  ])('refuses %s at registration, with 422 on body.url', async (_label, url) => {
    const biz = await createBusiness(t);
    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url, event_types: ['*'] });
    expect({ status: res.status, loc: res.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['body', 'url'],
    });
  });
});

describe.each(DRIVERS)('a webhook endpoint that keeps failing, on %s', (driver) => {
  let t: TestApp;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    // One second stands for the five days: failing that long with no delivery disables it.
    t = await bootTestApp(driver, { ...FAST_RETRIES, WEBHOOK_DISABLE_AFTER_SECONDS: '1' });
  });

  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

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

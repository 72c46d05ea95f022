import { randomUUID } from 'node:crypto';
import { addMember, createBusiness, createToken } from '../factories/tenancy.factory';
import { asBearer, asMember, asOwner, asPlatform } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import {
  CREDENTIAL_CHANGE,
  createStream,
  ISSUER,
  receiverOf,
  SSF_ENV,
  STREAMS,
} from './ssf-fixtures';

const RECEIVER = 'http://127.0.0.1:9/ssf';
const push = (url = RECEIVER, extra: object = {}) => ({
  method: 'urn:ietf:rfc:8935',
  endpoint_url: url,
  ...extra,
});

/**
 * The Shared Signals stream management API (SSF 1.0 §8.1): discovery, the stream's life, who may
 * manage one (an owner or admin whose token allows `ssf:manage`), and what one business may learn
 * of another's streams (nothing: 404). A standard receiver sends no x-business-id.
 */
describe.each(DRIVERS)('Shared Signals streams on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver, SSF_ENV);
  });
  afterAll(() => t?.close());

  it('publishes its transmitter metadata at /.well-known/ssf-configuration', async () => {
    const res = await t.http().get('/.well-known/ssf-configuration').expect(200);
    expect(res.body).toEqual({
      spec_version: '1_0',
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      delivery_methods_supported: ['urn:ietf:rfc:8935'],
      configuration_endpoint: `${ISSUER}/ssf/v1/streams`,
      status_endpoint: `${ISSUER}/ssf/v1/streams/status`,
      verification_endpoint: `${ISSUER}/ssf/v1/streams/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
      default_subjects: 'ALL',
    });
  });

  it('creates, reads, lists, updates, replaces and deletes a stream, never showing its authorization header', async () => {
    const biz = await createBusiness(t);
    const created = await t
      .http()
      .post(STREAMS)
      .set(receiverOf(biz))
      .send({
        delivery: push(RECEIVER, { authorization_header: 'Bearer hunter2-receiver' }),
        events_requested: [CREDENTIAL_CHANGE, 'https://example.com/unknown-event'],
        description: 'gateway',
      })
      .expect(201);
    const id = created.body.stream_id as string;
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.body).toEqual({
      stream_id: id,
      iss: ISSUER,
      aud: `urn:latchkey:ssf:stream:${id}`,
      events_supported: [CREDENTIAL_CHANGE],
      events_requested: [CREDENTIAL_CHANGE, 'https://example.com/unknown-event'],
      events_delivered: [CREDENTIAL_CHANGE],
      delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: RECEIVER },
      description: 'gateway',
      min_verification_interval: 10,
    });
    const one = await t.http().get(STREAMS).query({ stream_id: id }).set(receiverOf(biz));
    const all = await t.http().get(STREAMS).set(receiverOf(biz)).expect(200);
    expect(one.body).toEqual(created.body);
    expect(all.body).toEqual([created.body]);

    const patched = await t
      .http()
      .patch(STREAMS)
      .set(receiverOf(biz))
      .send({ stream_id: id.toUpperCase(), description: 'renamed' })
      .expect(200);
    expect(patched.body).toMatchObject({
      description: 'renamed',
      events_delivered: [CREDENTIAL_CHANGE],
    });
    // A replace that sends the transmitter's fields back, as read, is taken; what it leaves out
    // is reset.
    const replaced = await t
      .http()
      .put(STREAMS)
      .set(receiverOf(biz))
      .send({ ...patched.body, description: undefined, events_requested: undefined })
      .expect(200);
    expect(replaced.body).toMatchObject({
      description: '',
      events_requested: [],
      events_delivered: [],
    });

    const audit = await t.http().get('/api/v1/audit-events').set(asOwner(biz)).expect(200);
    const entries = audit.body.data.items.filter((e: { action: string }) =>
      e.action.startsWith('ssf.'),
    );
    expect(
      entries.map((e: { action: string; metadata: object }) => [e.action, e.metadata]),
    ).toEqual([
      ['ssf.stream_updated', { changed: ['delivery', 'events_requested', 'description'] }],
      ['ssf.stream_updated', { changed: ['description'] }],
      ['ssf.stream_created', { events_delivered: [CREDENTIAL_CHANGE] }],
    ]);
    expect(entries[0].target).toEqual({ type: 'ssf_stream', id, label: 'http://127.0.0.1:9' });
    for (const text of [one.text, all.text, patched.text, replaced.text, audit.text]) {
      expect(text).not.toContain('hunter2');
    }

    await t.http().delete(STREAMS).query({ stream_id: id }).set(receiverOf(biz)).expect(204);
    const gone = await t.http().get(STREAMS).query({ stream_id: id }).set(receiverOf(biz));
    expectError(gone, 404, 'STREAM_NOT_FOUND');
    expect((await t.http().get(STREAMS).set(receiverOf(biz)).expect(200)).body).toEqual([]);
  });

  it('keeps streams apart from webhooks, and to 5 a business', async () => {
    const biz = await createBusiness(t);
    const streams = [];
    for (let i = 0; i < 5; i++) streams.push(await createStream(t, biz, `${RECEIVER}/${i}`));
    const sixth = await t.http().post(STREAMS).set(receiverOf(biz)).send({ delivery: push() });
    expectError(sixth, 409, 'STREAM_LIMIT_REACHED');
    const webhooks = await t.http().get('/api/v1/webhooks').set(asOwner(biz)).expect(200);
    expect(webhooks.body.data.items).toEqual([]);
  });

  it('keeps a stream out of reach of every webhook route, even for a token of webhooks:write alone', async () => {
    const biz = await createBusiness(t);
    const { stream_id } = await createStream(t, biz, RECEIVER);
    const hooks = asOwner({
      id: biz.id,
      ownerToken: (await createToken(t, asOwner(biz), { scopes: ['webhooks:write', 'audit:read'] }))
        .secret,
    });
    const path = `/api/v1/webhooks/${stream_id}`;
    const tries = [
      t.http().get(path).set(hooks),
      t.http().patch(path).set(hooks).send({ url: 'https://attacker.example.com/x' }),
      t.http().delete(path).set(hooks),
      t.http().post(`${path}/rotate-secret`).set(hooks).send({}),
      t.http().get(`${path}/deliveries`).set(hooks),
      t.http().post(`${path}/recover`).query({ since: '2026-01-01T00:00:00Z' }).set(hooks).send({}),
      t.http().post(`${path}/test`).set(hooks).send({}),
    ];
    for (const res of await Promise.all(tries)) expectError(res, 404, 'WEBHOOK_NOT_FOUND');
    const still = await t.http().get(STREAMS).query({ stream_id }).set(receiverOf(biz));
    expect(still.body.delivery.endpoint_url).toBe(RECEIVER);
  });

  it('lets 5 of 8 creates that race pass, and refuses the others', async () => {
    const biz = await createBusiness(t);
    const create = () => t.http().post(STREAMS).set(receiverOf(biz)).send({ delivery: push() });
    const answers = await Promise.all(Array.from({ length: 8 }, create));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 201, 409, 409, 409]);
    expect((await t.http().get(STREAMS).set(receiverOf(biz)).expect(200)).body).toHaveLength(5);
  });

  it("answers 404 for another business's stream, on every route", async () => {
    const [a, b] = [await createBusiness(t), await createBusiness(t)];
    const { stream_id } = await createStream(t, a, RECEIVER);
    const asB = receiverOf(b);
    const tries = [
      t.http().get(STREAMS).query({ stream_id }).set(asB),
      t.http().patch(STREAMS).set(asB).send({ stream_id, description: 'mine' }),
      t.http().put(STREAMS).set(asB).send({ stream_id, delivery: push() }),
      t.http().delete(STREAMS).query({ stream_id }).set(asB),
      t.http().get(`${STREAMS}/status`).query({ stream_id }).set(asB),
      t.http().post(`${STREAMS}/status`).set(asB).send({ stream_id, status: 'disabled' }),
      t.http().post(`${STREAMS}/verify`).set(asB).send({ stream_id }),
      t.http().get(STREAMS).query({ stream_id: randomUUID() }).set(receiverOf(a)),
    ];
    for (const res of await Promise.all(tries)) expectError(res, 404, 'STREAM_NOT_FOUND');
    expect((await t.http().get(STREAMS).set(asB).expect(200)).body).toEqual([]);
    // Naming the other business in the header does not reach it either.
    const named = await t
      .http()
      .get(STREAMS)
      .set({ ...asB, 'x-business-id': a.id });
    expectError(named, 403, 'BUSINESS_MISMATCH');
    const status = await t.http().get(`${STREAMS}/status`).query({ stream_id }).set(receiverOf(a));
    expect(status.body).toEqual({ stream_id, status: 'enabled' });
  });

  it.each([
    ['a member', 'member', null, 403, 'INSUFFICIENT_ROLE'],
    ['an admin whose token lacks ssf:manage', 'admin', ['tokens:admin'], 403, 'INSUFFICIENT_SCOPE'],
    ['an admin whose token allows ssf:*', 'admin', ['ssf:*'], 201, null],
    ['an admin whose token allows ssf:manage', 'admin', ['ssf:manage'], 201, null],
    ['an admin with an unrestricted token', 'admin', null, 201, null],
  ] as const)('lets %s create a stream (as %s)', async (_label, role, scopes, status, code) => {
    const biz = await createBusiness(t);
    const person = await addMember(t, biz, role);
    const caller =
      scopes === null
        ? asBearer(person.token)
        : asBearer(
            (await createToken(t, asMember(person.token, biz.id), { scopes: [...scopes] })).secret,
          );
    const res = await t.http().post(STREAMS).set(caller).send({ delivery: push() });
    if (code) expectError(res, status, code);
    else expect(res.status).toBe(status);
    // Reading is managing too: the same rule.
    const read = await t.http().get(STREAMS).set(caller);
    expect(read.status).toBe(code ? 403 : 200);
  });

  it('takes a platform token only with the business named', async () => {
    const biz = await createBusiness(t);
    const without = await t.http().get(STREAMS).set(asPlatform(t));
    expect({ status: without.status, loc: without.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['header', 'x-business-id'],
    });
    const created = await t
      .http()
      .post(STREAMS)
      .set({ ...asPlatform(t), 'x-business-id': biz.id })
      .send({ delivery: push() })
      .expect(201);
    const seen = await t.http().get(STREAMS).set(receiverOf(biz)).expect(200);
    expect(seen.body.map((s: { stream_id: string }) => s.stream_id)).toEqual([
      created.body.stream_id,
    ]);
  });

  it.each([
    [
      'poll delivery',
      { delivery: { method: 'urn:ietf:rfc:8936' } },
      ['body', 'delivery', 'method'],
    ],
    ['no delivery', {}, ['body', 'delivery']],
    [
      'a URL that is not http(s)',
      { delivery: push('ftp://example.com/x') },
      ['body', 'delivery', 'endpoint_url'],
    ],
    [
      'an authorization header that splits a line',
      { delivery: push(RECEIVER, { authorization_header: 'Bearer x\r\nX-Evil: 1' }) },
      ['body', 'delivery', 'authorization_header'],
    ],
    [
      '17 event types',
      { delivery: push(), events_requested: Array.from({ length: 17 }, (_, i) => `urn:e:${i}`) },
      ['body', 'events_requested'],
    ],
    [
      'an event type too long',
      { delivery: push(), events_requested: [`urn:${'x'.repeat(300)}`] },
      ['body', 'events_requested'],
    ],
    ['an unknown field', { delivery: push(), colour: 'blue' }, ['body', 'colour']],
  ])('refuses %s with 422 where it is', async (_label, body, loc) => {
    const biz = await createBusiness(t);
    const res = await t.http().post(STREAMS).set(receiverOf(biz)).send(body);
    expect({ status: res.status, loc: res.body.detail?.[0]?.loc }).toEqual({ status: 422, loc });
  });

  it('refuses a status it does not know, a bad stream id, and a disabled stream paused', async () => {
    const biz = await createBusiness(t);
    const { stream_id } = await createStream(t, biz, RECEIVER);
    const status = (body: object) =>
      t.http().post(`${STREAMS}/status`).set(receiverOf(biz)).send(body);
    const odd = await status({ stream_id, status: 'sleeping' });
    expect({ status: odd.status, loc: odd.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['body', 'status'],
    });
    const badId = await t.http().get(STREAMS).query({ stream_id: 'nope' }).set(receiverOf(biz));
    expect({ status: badId.status, loc: badId.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['query', 'stream_id'],
    });
    await status({ stream_id, status: 'disabled' }).expect(200);
    expectError(await status({ stream_id, status: 'paused' }), 409, 'STREAM_DISABLED');
    const verify = await t
      .http()
      .post(`${STREAMS}/verify`)
      .set(receiverOf(biz))
      .send({ stream_id });
    expectError(verify, 409, 'STREAM_DISABLED');
  });
});

describe.each(DRIVERS)('Shared Signals streams on %s, private addresses refused', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver, {
      ...SSF_ENV,
      WEBHOOK_ALLOW_PRIVATE: 'false',
      WEBHOOK_ALLOW_HTTP: 'false',
    });
  });
  afterAll(() => t?.close());

  it.each([
    ['a loopback address', 'https://127.0.0.1/x'],
    ['a name that resolves to loopback', 'https://localhost/x'],
    ['the metadata address', 'https://169.254.169.254/latest'],
    ['a private address', 'https://10.0.0.7/x'],
    ['http, not https', 'http://receiver.example.com/x'],
  ])('refuses %s as a push URL, at creation and at update', async (_label, url) => {
    const biz = await createBusiness(t);
    const created = await t
      .http()
      .post(STREAMS)
      .set(receiverOf(biz))
      .send({ delivery: push(url) });
    expect({ status: created.status, loc: created.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['body', 'delivery', 'endpoint_url'],
    });
    expect((await t.http().get(STREAMS).set(receiverOf(biz)).expect(200)).body).toEqual([]);
    const { stream_id } = await createStream(t, biz, 'https://receiver.example.com/ssf');
    const updated = await t
      .http()
      .patch(STREAMS)
      .set(receiverOf(biz))
      .send({ stream_id, delivery: push(url) });
    expect({ status: updated.status, loc: updated.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['body', 'delivery', 'endpoint_url'],
    });
  });
});

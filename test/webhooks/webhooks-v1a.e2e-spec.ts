import { randomUUID } from 'node:crypto';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
} from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, Caller } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { Received, WebhookReceiver } from '../harness/app/webhook-receiver';
import { DRIVERS } from '../setup/servers';
import { waitForAttempts } from './webhook-suite';

/** The example receiver that the README points to: these tests judge deliveries with it. */
type Verifier = (body: string, headers: Received['headers'], nowMs?: number) => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { v1aVerifier } = require('../../examples/webhook-receiver-v1a') as {
  v1aVerifier: (publicKey: string) => Verifier;
};

interface Key {
  kid: string;
  alg: string;
  public_key: string;
  signs_until: string | null;
}

const DAY_MS = 24 * 3600e3;

/**
 * v1a webhooks: each business's messages are signed with a key of its own, which its
 * receivers pin, so a genuine message of one business fails at another's receiver.
 */
describe.each(DRIVERS)('v1a webhook keys on %s', (driver) => {
  let t: TestApp;
  const receiverA = new WebhookReceiver();
  const receiverB = new WebhookReceiver();

  beforeAll(async () => {
    await Promise.all([receiverA.start(), receiverB.start()]);
    t = await bootTestApp(driver, { WEBHOOK_POLL_MS: '50' });
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([receiverA.stop(), receiverB.stop()]);
  });

  beforeEach(() => {
    for (const r of [receiverA, receiverB]) {
      r.received.length = 0;
      r.answer = () => ({ status: 204 });
    }
  });

  const keysOf = async (caller: Caller, path = '/api/v1/webhooks/signing-key') => {
    const res = await t.http().get(path).set(caller).expect(200);
    return res.body.data.keys as Key[];
  };

  const published = (kid: string) =>
    t.http().get('/.well-known/latchkey-webhook-keys').query({ kid });

  /** A v1a endpoint of `biz` at `receiver`, whose receiver answers 204 only to what verifies. */
  async function v1aEndpoint(biz: BusinessFixture, receiver: WebhookReceiver, pinned: string) {
    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['token.created'], signature_scheme: 'v1a' })
      .expect(201);
    expect(res.body.data).toMatchObject({ signature_scheme: 'v1a', secret: null });
    const verified = v1aVerifier(pinned);
    receiver.answer = (r) => ({ status: verified(r.body, r.headers) ? 204 : 400 });
    return res.body.data.id as string;
  }

  /** Sends a webhook.test to the endpoint and answers its delivery. */
  async function deliveryTo(biz: BusinessFixture, endpointId: string, receiver: WebhookReceiver) {
    const before = receiver.received.length;
    await t.http().post(`/api/v1/webhooks/${endpointId}/test`).set(asOwner(biz)).expect(201);
    const all = await receiver.waitFor((got) => got.length > before);
    return all[before];
  }

  /** Sends a received delivery again, as is, to a receiver: what a tenant replaying it does. */
  async function replay(r: Received, to: WebhookReceiver): Promise<number> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'webhook-key-id']) {
      headers[name] = String(r.headers[name]);
    }
    const res = await fetch(to.url, { method: 'POST', headers, body: r.body });
    return res.status;
  }

  it("signs each business's messages with its own key: A's fail under B's, and a replay from A's receiver to B's is refused", async () => {
    const [a, b] = await Promise.all([createBusiness(t), createBusiness(t)]);
    const [keyA] = await keysOf(asOwner(a));
    const [keyB] = await keysOf(asOwner(b));
    expect(await keysOf(asOwner(a))).toEqual([
      {
        kid: `${a.id}.0`,
        alg: 'Ed25519',
        public_key: expect.stringMatching(/^whpk_/),
        signs_until: null,
      },
    ]);
    expect(keyB.kid).toBe(`${b.id}.0`);
    expect(keyB.public_key).not.toBe(keyA.public_key);
    // What the public route serves for the kid is what the business's owners see.
    const served = await published(keyA.kid).expect(200);
    expect(served.body).toEqual({
      keys: [{ kid: keyA.kid, alg: 'Ed25519', public_key: keyA.public_key }],
    });

    const endpointA = await v1aEndpoint(a, receiverA, keyA.public_key);
    const endpointB = await v1aEndpoint(b, receiverB, keyB.public_key);
    const gotA = await deliveryTo(a, endpointA, receiverA);
    const gotB = await deliveryTo(b, endpointB, receiverB);
    expect(gotA.headers['webhook-key-id']).toBe(keyA.kid);
    expect(gotB.headers['webhook-key-id']).toBe(keyB.kid);
    expect(String(gotA.headers['webhook-signature'])).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);

    const underA = v1aVerifier(keyA.public_key);
    const underB = v1aVerifier(keyB.public_key);
    expect(underA(gotA.body, gotA.headers)).toEqual(gotA.json);
    expect(underB(gotA.body, gotA.headers)).toBeNull();
    expect(underB(gotB.body, gotB.headers)).toEqual(gotB.json);
    expect(underA(gotB.body, gotB.headers)).toBeNull();

    // The attack: A's genuine message, within the timestamp tolerance, sent on to B's receiver.
    expect(await replay(gotA, receiverB)).toBe(400);
    // The control: the same bytes are accepted where they were meant to go, so the refusal
    // above is the key's doing, not the replay's age or shape.
    expect(await replay(gotA, receiverA)).toBe(204);

    // The server's own delivery was accepted by the receiver that pinned B's key (its attempt is
    // written after the answer).
    expect(await waitForAttempts(t, b, endpointB, 1)).toEqual([
      expect.objectContaining({ status_code: 204 }),
    ]);

    // A v1a endpoint has no secret: its key is the business's, rotated as such.
    const rotate = await t
      .http()
      .post(`/api/v1/webhooks/${endpointA}/rotate-secret`)
      .set(asOwner(a));
    expect({ status: rotate.status, code: rotate.body.code }).toEqual({
      status: 409,
      code: 'WEBHOOK_KEY_SIGNED',
    });
  });

  it('answers every well-formed kid alike, so the public route confirms no business', async () => {
    const a = await createBusiness(t);
    const unknown = randomUUID();
    const [known, stranger, unreached, platform] = await Promise.all(
      [`${a.id}.0`, `${unknown}.0`, `${a.id}.7`, 'platform.0'].map((kid) =>
        published(kid).expect(200),
      ),
    );
    const shape = (res: typeof known) => ({
      status: res.status,
      headers: Object.keys(res.headers)
        .filter((h) => !['date', 'x-request-id', 'content-length', 'etag'].includes(h))
        .sort(),
      body: {
        keys: (res.body.keys as Key[]).map((k) => ({
          kid: typeof k.kid,
          alg: k.alg,
          public_key: /^whpk_[A-Za-z0-9+/]{43}=$/.test(k.public_key),
        })),
      },
    });
    for (const res of [stranger, unreached, platform]) expect(shape(res)).toEqual(shape(known));
    expect(stranger.body.keys[0].kid).toBe(`${unknown}.0`);
    const keys = [known, stranger, unreached, platform].map((r) => r.body.keys[0].public_key);
    expect(new Set(keys).size).toBe(4);
    // Asking again gives the same key: it is derived, not made up per request.
    expect((await published(`${unknown}.0`).expect(200)).body).toEqual(stranger.body);
    // Nothing was stored for the kids asked about.
    const rows = await t.sql(
      'SELECT chain_id FROM webhook_key_generations WHERE chain_id IN (?, ?)',
      [unknown, a.id],
    );
    expect(rows).toEqual([]);
  });

  const A = '3f0e5a0c-1f3e-4b2d-9c8a-7e6f5d4c3b2a';
  it.each([
    ['no kid', undefined],
    ['an empty kid', ''],
    ['a business id alone', A],
    ['an upper-case id', `${A.toUpperCase()}.0`],
    ['a generation with a leading zero', `${A}.01`],
    ['a generation past 9 digits', `${A}.1000000000`],
    ['a negative generation', `${A}.-1`],
    ['the old installation kid', '3f0e5a0c1f3e9b2d'],
    ['a kid with a space', `${A}.0 `],
    ['two kids', [`${A}.0`, `${A}.1`]],
    ['a path', `../${A}.0`],
  ])('answers 422 naming query.kid for %s', async (_label, kid) => {
    const res = await t
      .http()
      .get('/.well-known/latchkey-webhook-keys')
      .query(kid === undefined ? {} : { kid });
    expect({ status: res.status, code: res.body.code, loc: res.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      code: 'VALIDATION_ERROR',
      loc: ['query', 'kid'],
    });
  });

  it('rotates one business’s key and leaves the others alone', async () => {
    const [a, b] = await Promise.all([createBusiness(t), createBusiness(t)]);
    const [a0] = await keysOf(asOwner(a));
    const beforeB = await keysOf(asOwner(b));
    const beforeServedB = (await published(`${b.id}.0`).expect(200)).body;
    const endpointA = await v1aEndpoint(a, receiverA, a0.public_key);
    const endpointB = await v1aEndpoint(b, receiverB, beforeB[0].public_key);

    const rotated = await t
      .http()
      .post('/api/v1/webhooks/signing-key/rotate')
      .set(asOwner(a))
      .expect(201);
    const [a1, previous] = rotated.body.data.keys as Key[];
    expect(rotated.body.data.keys).toEqual([
      {
        kid: `${a.id}.1`,
        alg: 'Ed25519',
        public_key: expect.stringMatching(/^whpk_/),
        signs_until: null,
      },
      { ...a0, signs_until: expect.any(String) },
    ]);
    expect(Date.parse(previous.signs_until!) - Date.now()).toBeGreaterThan(DAY_MS - 60e3);
    expect(Date.parse(previous.signs_until!) - Date.now()).toBeLessThanOrEqual(DAY_MS);
    expect(a1.public_key).not.toBe(a0.public_key);
    expect(await keysOf(asOwner(a))).toEqual(rotated.body.data.keys);
    expect((await published(a1.kid).expect(200)).body.keys[0].public_key).toBe(a1.public_key);

    // B: the same key, served the same, signing the same.
    expect(await keysOf(asOwner(b))).toEqual(beforeB);
    expect((await published(`${b.id}.0`).expect(200)).body).toEqual(beforeServedB);
    const gotB = await deliveryTo(b, endpointB, receiverB);
    expect(gotB.headers['webhook-key-id']).toBe(`${b.id}.0`);
    expect(v1aVerifier(beforeB[0].public_key)(gotB.body, gotB.headers)).toEqual(gotB.json);

    // A: both keys sign for a day, so a receiver that pinned either verifies.
    const gotA = await deliveryTo(a, endpointA, receiverA);
    expect(gotA.headers['webhook-key-id']).toBe(`${a1.kid} ${a0.kid}`);
    expect(String(gotA.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const key of [a0, a1]) {
      expect(v1aVerifier(key.public_key)(gotA.body, gotA.headers)).toEqual(gotA.json);
    }
    expect(v1aVerifier(beforeB[0].public_key)(gotA.body, gotA.headers)).toBeNull();

    // Audited in A's chain, and not in B's.
    const trail = async (biz: BusinessFixture) =>
      (
        await t
          .http()
          .get('/api/v1/audit-events')
          .query({ action: 'webhook.key_rotated' })
          .set(asOwner(biz))
          .expect(200)
      ).body.data.items as { target: unknown; metadata: unknown }[];
    expect(await trail(a)).toEqual([
      expect.objectContaining({
        target: { type: 'webhook_key', id: a.id, label: a1.kid },
        metadata: {
          kid: a1.kid,
          previous_kid: a0.kid,
          previous_valid_until: previous.signs_until,
        },
      }),
    ]);
    expect(await trail(b)).toEqual([]);

    // Two rotations at once: one after the other, each a generation of its own.
    const both = await Promise.all(
      [1, 2].map(() =>
        t.http().post('/api/v1/webhooks/signing-key/rotate').set(asOwner(a)).expect(201),
      ),
    );
    expect(both.map((r) => (r.body.data.keys as Key[])[0].kid).sort()).toEqual([
      `${a.id}.2`,
      `${a.id}.3`,
    ]);
    expect((await keysOf(asOwner(a))).map((k) => k.kid)).toEqual([`${a.id}.3`, `${a.id}.2`]);
    expect(await trail(a)).toHaveLength(3);

    // Once the day is over, the replaced key signs no more.
    await t.sql('UPDATE webhook_key_generations SET rotated_at = ? WHERE chain_id = ?', [
      driver === 'postgres'
        ? new Date(Date.now() - DAY_MS - 1000)
        : new Date(Date.now() - DAY_MS - 1000).toISOString().replace('T', ' ').replace('Z', ''),
      a.id,
    ]);
    const [a3] = await keysOf(asOwner(a));
    expect(await keysOf(asOwner(a))).toEqual([{ ...a3, signs_until: null }]);
    const last = await deliveryTo(a, endpointA, receiverA);
    expect(last.headers['webhook-key-id']).toBe(`${a.id}.3`);
    expect(v1aVerifier(a3.public_key)(last.body, last.headers)).toEqual(last.json);
    expect(v1aVerifier(a1.public_key)(last.body, last.headers)).toBeNull();
    expect((await keysOf(asOwner(b))).map((k) => k.kid)).toEqual([`${b.id}.0`]);
  });

  it("gives the platform chain a key of its own, rotated apart from any business's", async () => {
    const a = await createBusiness(t);
    const [platform] = await keysOf(asPlatform(t), '/platform/v1/webhooks/signing-key');
    expect(platform.kid).toMatch(/^platform\.\d+$/);
    const [a0] = await keysOf(asOwner(a));
    const rotated = await t
      .http()
      .post('/platform/v1/webhooks/signing-key/rotate')
      .set(asPlatform(t))
      .expect(201);
    expect(rotated.body.data.keys[0].kid).toBe(
      `platform.${Number(platform.kid.split('.')[1]) + 1}`,
    );
    expect(await keysOf(asOwner(a))).toEqual([a0]);
    // A business's token cannot reach the platform's key.
    const denied = await t.http().get('/platform/v1/webhooks/signing-key').set(asOwner(a));
    expect(denied.status).toBe(403);
  });

  describe('who may read and rotate a business key', () => {
    type Who =
      'owner' | 'webhooks:read' | 'webhooks:write' | 'no scope' | 'member' | 'another business';
    const WHO: Who[] = [
      'owner',
      'webhooks:read',
      'webhooks:write',
      'no scope',
      'member',
      'another business',
    ];
    /** The rule, whole: the route's role (owner or admin) and scope, each needed. */
    const ALLOWED: Record<Who, { read: number; rotate: number }> = {
      owner: { read: 200, rotate: 201 },
      'webhooks:read': { read: 200, rotate: 403 },
      'webhooks:write': { read: 200, rotate: 201 },
      'no scope': { read: 403, rotate: 403 },
      member: { read: 403, rotate: 403 },
      'another business': { read: 403, rotate: 403 },
    };
    let biz: BusinessFixture;
    const callers = new Map<Who, Caller>();

    beforeAll(async () => {
      biz = await createBusiness(t);
      const other = await createBusiness(t);
      callers.set('owner', asOwner(biz));
      for (const scope of ['webhooks:read', 'webhooks:write'] as const) {
        const token = await createToken(t, asOwner(biz), { name: scope, scopes: [scope] });
        callers.set(scope, asMember(token.secret, biz.id));
      }
      const none = await createToken(t, asOwner(biz), { name: 'none', scopes: [] });
      callers.set('no scope', asMember(none.secret, biz.id));
      const member = await addMember(t, biz, 'member');
      callers.set('member', asMember(member.token, biz.id));
      callers.set('another business', asMember(other.ownerToken, biz.id));
    });

    it.each(WHO.flatMap((who) => (['read', 'rotate'] as const).map((what) => ({ who, what }))))(
      '$who: $what',
      async ({ who, what }) => {
        const before = await keysOf(asOwner(biz));
        const res =
          what === 'read'
            ? await t.http().get('/api/v1/webhooks/signing-key').set(callers.get(who)!)
            : await t.http().post('/api/v1/webhooks/signing-key/rotate').set(callers.get(who)!);
        expect(res.status).toBe(ALLOWED[who][what]);
        const after = await keysOf(asOwner(biz));
        if (what === 'rotate' && res.status === 201) {
          expect(after[0].kid).not.toBe(before[0].kid);
        } else {
          expect(after).toEqual(before);
        }
      },
    );
  });

  // An installation that turns webhooks off on purpose (WEBHOOKS_ENABLED=false): nothing signs,
  // so no key is served or rotated.
  it('answers 503 WEBHOOKS_OFF on every key route of an installation with webhooks off', async () => {
    const a = await createBusiness(t);
    const off = await bootTestApp(driver, { WEBHOOKS_ENABLED: 'false' }, t.db);
    try {
      const answers = await Promise.all([
        off.http().get('/api/v1/webhooks/signing-key').set(asOwner(a)),
        off.http().post('/api/v1/webhooks/signing-key/rotate').set(asOwner(a)),
        off.http().get('/platform/v1/webhooks/signing-key').set(asPlatform(t)),
        off
          .http()
          .get('/.well-known/latchkey-webhook-keys')
          .query({ kid: `${a.id}.0` }),
      ]);
      expect(answers.map((r) => [r.status, r.body.code])).toEqual(
        Array.from({ length: 4 }, () => [503, 'WEBHOOKS_OFF']),
      );
      expect(await keysOf(asOwner(a))).toEqual([expect.objectContaining({ kid: `${a.id}.0` })]);
    } finally {
      await off.close({ keepDatabase: true });
    }
  });

  it('derives the same keys on every instance, and each sees a rotation at once', async () => {
    const a = await createBusiness(t);
    const unknown = `${randomUUID()}.0`;
    const other = await bootTestApp(driver, { WEBHOOK_DELIVERY: 'false' }, t.db);
    try {
      for (const kid of [`${a.id}.0`, unknown, 'platform.0']) {
        const here = await published(kid).expect(200);
        const there = await other.http().get('/.well-known/latchkey-webhook-keys').query({ kid });
        expect(there.body).toEqual(here.body);
      }
      await t.http().post('/api/v1/webhooks/signing-key/rotate').set(asOwner(a)).expect(201);
      const there = await other
        .http()
        .get('/api/v1/webhooks/signing-key')
        .set(asOwner(a))
        .expect(200);
      expect(there.body.data.keys).toEqual(await keysOf(asOwner(a)));
      expect(there.body.data.keys[0].kid).toBe(`${a.id}.1`);
    } finally {
      await other.close({ keepDatabase: true });
    }
  });
});

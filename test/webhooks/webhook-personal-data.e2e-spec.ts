import type { Role } from '../../src/auth/roles';
import { CLI_AUTHOR } from '../../src/database/units/domain-event';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { TokenIssuanceService } from '../../src/tokens/lifecycle/issuance/token-issuance.service';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
} from '../factories/tenancy.factory';
import { asMember, asOwner, Caller } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import type { TestApp } from '../harness/app/test-app';
import type { Received } from '../harness/app/webhook-receiver';
import { FAST_RETRIES, webhookWorld } from './webhook-suite';
import { DRIVERS } from '../setup/servers';

/**
 * Who acted, and from where, in a typed webhook event (docs/api.md, "Webhooks"): the actor's
 * email (and that of whoever issued their token), the address and the user agent reach an
 * endpoint only if whoever set its URL could read them in the audit log (the owner or admin
 * role, and a token that allows `audit:read`); otherwise they are null, as are the chain's
 * hashes. The decision is the table below, run whole: every role × the scopes of the token that
 * made the endpoint × field. Then the ways round it: moving such an endpoint, reading its
 * messages, and what an endpoint of the whole log is sent.
 */

const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

/** The scopes of the token that registers the endpoint. */
const SCOPES = {
  'webhooks:write': ['webhooks:write'],
  'webhooks:write, audit:read': ['webhooks:write', 'audit:read'],
  unrestricted: null,
} as const;
type Scopes = keyof typeof SCOPES;

const FIELDS = ['actor', 'ip', 'user_agent'] as const;
type Field = (typeof FIELDS)[number];

/** What the endpoint's maker gets of each field: `refused` is no endpoint (403 INSUFFICIENT_ROLE). */
type Outcome = 'sent' | 'withheld' | 'refused';

/** The decision. */
const DECISION: Record<Role, Record<Scopes, Outcome>> = {
  owner: {
    'webhooks:write': 'withheld',
    'webhooks:write, audit:read': 'sent',
    unrestricted: 'sent',
  },
  admin: {
    'webhooks:write': 'withheld',
    'webhooks:write, audit:read': 'sent',
    unrestricted: 'sent',
  },
  member: {
    'webhooks:write': 'refused',
    'webhooks:write, audit:read': 'refused',
    unrestricted: 'refused',
  },
};

const CASES = ROLES.flatMap((role) =>
  (Object.keys(SCOPES) as Scopes[]).flatMap((scopes) =>
    FIELDS.map((field) => ({ role, scopes, field, outcome: DECISION[role][scopes] })),
  ),
);

const USER_AGENT = 'personal-data-table/1';

/** A field as an audit line holds it; `actor` is the two labels, the actor's and its issuer's. */
function fieldOf(data: Record<string, unknown>, field: Field): unknown {
  if (field !== 'actor') return data[field];
  const actor = data.actor as { label: unknown; issued_by?: { label: unknown } | null };
  return { label: actor.label, issued_by: actor.issued_by?.label };
}

/** A token of `identityId` with `scopes`, made by the operator (so no issuing rule is in play). */
async function tokenOf(
  t: TestApp,
  biz: BusinessFixture,
  identityId: string,
  scopes: readonly string[] | null,
): Promise<Caller> {
  const { secret } = await t.app.get(UnitOfWork).run((tx) =>
    t.app.get(TokenIssuanceService).issue(
      CLI_AUTHOR,
      {
        businessId: biz.id,
        identityId,
        name: 'webhooks',
        scopes: scopes && [...scopes],
        expiresAt: null,
      },
      tx,
    ),
  );
  return asMember(secret, biz.id);
}

describe.each(DRIVERS)('who acted, in webhooks, on %s', (driver) => {
  const world = webhookWorld(driver, FAST_RETRIES);
  const { receiver } = world;
  let t: TestApp;
  let biz: BusinessFixture;
  /** Each maker's answer to registering an endpoint, and the delivery it was then sent. */
  const made = new Map<string, { status: number; code: string | null; got?: Received }>();
  /** The revocation every endpoint is told of, as the audit log holds it. */
  let logged: Record<string, unknown>;

  const key = (role: Role, scopes: Scopes) => `${role} ${scopes}`;
  const urlOf = (role: Role, scopes: Scopes) =>
    `${receiver.url}?maker=${encodeURIComponent(key(role, scopes))}`;

  beforeAll(async () => {
    t = world.t;
    biz = await createBusiness(t);
    const identities: Record<Role, string> = {
      owner: biz.ownerId,
      admin: (await addMember(t, biz, 'admin')).identityId,
      member: (await addMember(t, biz, 'member')).identityId,
    };
    for (const role of ROLES) {
      for (const scopes of Object.keys(SCOPES) as Scopes[]) {
        const maker = await tokenOf(t, biz, identities[role], SCOPES[scopes]);
        const res = await t
          .http()
          .post('/api/v1/webhooks')
          .set(maker)
          .send({ url: urlOf(role, scopes), event_types: ['token.revoked'] });
        made.set(key(role, scopes), { status: res.status, code: res.body.code });
      }
    }
    const token = await createToken(t, asOwner(biz), { name: 'told' });
    await t
      .http()
      .post(`/api/v1/tokens/${token.id}/revoke`)
      .set(asOwner(biz))
      .set('user-agent', USER_AGENT)
      .expect(201);
    const endpoints = [...made.values()].filter((m) => m.status === 201).length;
    await receiver.waitFor((got) => got.length >= endpoints);
    for (const r of receiver.received) {
      made.get(decodeURIComponent(r.url.split('maker=')[1]))!.got = r;
    }
    const log = await t
      .http()
      .get('/api/v1/audit-events')
      .query({ action: 'token.revoked', target_id: token.id })
      .set(asOwner(biz))
      .expect(200);
    logged = log.body.data.items[0];
  });

  it('has what the table withholds in the audit log: an email, an address and a user agent', () => {
    // The owner's first token was issued by the platform admin who made the business.
    expect(fieldOf(logged, 'actor')).toEqual({
      label: biz.ownerEmail,
      issued_by: expect.stringContaining('@'),
    });
    expect(fieldOf(logged, 'ip')).toEqual(expect.any(String));
    expect(fieldOf(logged, 'user_agent')).toBe(USER_AGENT);
  });

  it.each(CASES)(
    'an endpoint made by the $role with $scopes: $field $outcome',
    ({ role, scopes, field, outcome }) => {
      const maker = made.get(key(role, scopes))!;
      if (outcome === 'refused') {
        expect({ status: maker.status, code: maker.code }).toEqual({
          status: 403,
          code: 'INSUFFICIENT_ROLE',
        });
        return;
      }
      expect(maker.status).toBe(201);
      const data = maker.got!.json.data;
      expect(data).toMatchObject({ action: 'token.revoked', target: logged.target });
      const withheld = field === 'actor' ? { label: null, issued_by: null } : null;
      expect(fieldOf(data, field)).toEqual(outcome === 'sent' ? fieldOf(logged, field) : withheld);
    },
  );

  it('withholds the chain links with them, and keeps the ids', () => {
    const withheld = made.get(key('admin', 'webhooks:write'))!.got!.json.data;
    const actor = logged.actor as { id: string; token_id: string; issued_by: { id: string } };
    expect(withheld).toMatchObject({
      id: logged.id,
      seq: logged.seq,
      prev_hash: null,
      hash: null,
      actor: { id: actor.id, token_id: actor.token_id, issued_by: { id: actor.issued_by.id } },
    });
    const sent = made.get(key('admin', 'unrestricted'))!.got!.json.data;
    expect(sent).toEqual(logged);
  });

  it('sends them once someone who reads the log sets the URL, and then keeps the endpoint theirs', async () => {
    const admin = (await addMember(t, biz, 'admin')).identityId;
    const writer = await tokenOf(t, biz, admin, ['webhooks:write']);
    const reader = await tokenOf(t, biz, admin, ['webhooks:read']);
    const created = await t
      .http()
      .post('/api/v1/webhooks')
      .set(writer)
      .send({ url: `${receiver.url}?story=1`, event_types: ['token.revoked'] })
      .expect(201);
    const id = created.body.data.id as string;
    const story = (r: Received) => r.url.endsWith('story=1');
    const revokeOne = async () => {
      const token = await createToken(t, asOwner(biz));
      await t.http().post(`/api/v1/tokens/${token.id}/revoke`).set(asOwner(biz)).expect(201);
      const r = (await receiver.waitFor((got) => got.some(story))).find(story)!;
      receiver.received.length = 0;
      return r;
    };
    receiver.received.length = 0;
    const withheld = await revokeOne();
    expect(withheld.json.data.ip).toBeNull();
    // The writer's endpoint: its messages are its to read, and it is the writer's to change.
    const read = (caller: Caller, message: string) =>
      t.http().get(`/api/v1/webhooks/${id}/deliveries/${message}`).set(caller);
    const before = await read(reader, String(withheld.headers['webhook-id'])).expect(200);
    expect(JSON.parse(before.body.data.payload)).toEqual(withheld.json);
    await t
      .http()
      .patch(`/api/v1/webhooks/${id}`)
      .set(writer)
      .send({ description: 'mine' })
      .expect(200);

    // The owner sets its URL again (the same one): from now on it is sent who acted.
    await t
      .http()
      .patch(`/api/v1/webhooks/${id}`)
      .set(asOwner(biz))
      .send({ url: `${receiver.url}?story=1` })
      .expect(200);
    const sent = await revokeOne();
    expect(sent.json.data.ip).toEqual(expect.any(String));
    expect(sent.json.data.actor).toMatchObject({ label: biz.ownerEmail });

    // So it is the audit log's: the writer may no longer move it, resend from it, or read it.
    const message = String(sent.headers['webhook-id']);
    for (const res of [
      await t
        .http()
        .patch(`/api/v1/webhooks/${id}`)
        .set(writer)
        .send({ url: `${receiver.url}?x` }),
      await t
        .http()
        .patch(`/api/v1/webhooks/${id}`)
        .set(writer)
        .send({ description: 'mine again' }),
      await t.http().post(`/api/v1/webhooks/${id}/deliveries/${message}/redeliver`).set(writer),
      await t.http().post(`/api/v1/webhooks/${id}/rotate-secret`).set(writer),
      await read(writer, message),
      await read(reader, message),
      await t.http().delete(`/api/v1/webhooks/${id}`).set(writer),
    ]) {
      expectError(res, 403, 'INSUFFICIENT_SCOPE');
    }
    const after = await read(asOwner(biz), message).expect(200);
    expect(JSON.parse(after.body.data.payload)).toEqual(sent.json);
    await t.http().delete(`/api/v1/webhooks/${id}`).set(asOwner(biz)).expect(200);
  });

  it('keeps a withheld message withheld in the delivery history too', async () => {
    const maker = made.get(key('owner', 'webhooks:write'))!;
    const [endpoint] = await t.sql<{ id: string }>(
      'SELECT id FROM webhook_endpoints WHERE url = ?',
      [urlOf('owner', 'webhooks:write')],
    );
    const admin = (await addMember(t, biz, 'admin')).identityId;
    const reader = await tokenOf(t, biz, admin, ['webhooks:read']);
    const message = String(maker.got!.headers['webhook-id']);
    const read = await t
      .http()
      .get(`/api/v1/webhooks/${endpoint.id}/deliveries/${message}`)
      .set(reader)
      .expect(200);
    expect(JSON.parse(read.body.data.payload)).toEqual(maker.got!.json);
  });

  it('sends an endpoint of the whole log whole lines, its typed events too', async () => {
    const created = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: `${receiver.url}?siem=1`, event_types: ['token.revoked', 'audit.event'] })
      .expect(201);
    receiver.received.length = 0;
    const token = await createToken(t, asOwner(biz));
    await t.http().post(`/api/v1/tokens/${token.id}/revoke`).set(asOwner(biz)).expect(201);
    const siem = (r: Received) =>
      r.url.endsWith('siem=1') && r.json.data.action === 'token.revoked';
    const got = await receiver.waitFor((all) => all.filter(siem).length >= 2);
    for (const r of got.filter(siem)) {
      expect(r.json.data).toMatchObject({ ip: expect.any(String), hash: expect.any(String) });
    }
    await t.http().delete(`/api/v1/webhooks/${created.body.data.id}`).set(asOwner(biz)).expect(200);
  });
});

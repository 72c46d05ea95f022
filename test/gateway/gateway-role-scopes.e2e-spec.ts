import type { Test } from 'supertest';
import { type Role, roleAtLeast } from '../../src/auth/roles';
import { BUILT_IN_SCOPES, scopeCovers, scopesAllow } from '../../src/auth/scopes';
import {
  addMember,
  BusinessFixture,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, Caller, patchMember } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * What `GET /auth/verify` passes for `X-Latchkey-Require-Scope`, and what the API route that
 * scope gates answers the same token: one answer, because both ask `RequestContext.allowsScope`.
 * "Unrestricted" (scopes null) is unrestricted within the holder's role, at the gateway too: a
 * member's token holds no admin built-in, and nor does a list that names one (a token made
 * before its holder was demoted). The table is every role × token scopes × requirement, the roles
 * and built-ins read from the code's own table (`BUILT_IN_SCOPES`).
 */

const BUILT_INS = Object.keys(BUILT_IN_SCOPES);

/** The holders: people at each role, and machines at each role a machine may hold. */
const HOLDERS = ['owner', 'admin', 'member', 'machine admin', 'machine member'] as const;
type Holder = (typeof HOLDERS)[number];
const roleOf = (holder: Holder): Role => holder.replace('machine ', '') as Role;

/** Unrestricted, or a list naming every built-in and two of the business's own scopes. */
const LIST = [...BUILT_INS, 'orders:read', 'deploy:*'];
const SCOPES = { unrestricted: null, 'a list of every built-in': LIST } as const;
type Held = keyof typeof SCOPES;

/** Each built-in alone, a scope of the business's own, wildcards, and the pair first reported. */
const REQUIRED = [
  ...BUILT_INS,
  'orders:read',
  'deploy:*',
  'audit:*',
  'webhooks:*',
  'tokens:admin members:write',
];

/** A role holds a scope when every built-in the scope covers is within the role. */
const roleMayHold = (role: Role, scope: string) =>
  BUILT_INS.every((b) => !scopeCovers(scope, b) || roleAtLeast(role, BUILT_IN_SCOPES[b]));

const passes = (holder: Holder, held: Held, required: string) =>
  required.split(' ').every((s) => scopesAllow(SCOPES[held], s) && roleMayHold(roleOf(holder), s));

const ROWS = HOLDERS.flatMap((holder) =>
  (Object.keys(SCOPES) as Held[]).flatMap((held) =>
    REQUIRED.map((required) => [holder, held, required, passes(holder, held, required)] as const),
  ),
);

/**
 * The API route each built-in gates, and its answer once past the role and scope checks: 200, or
 * the 422 of an empty body (which comes after the 403, in the design's order of checks).
 */
const GATED: Record<string, [(t: TestApp, caller: Caller) => Test, number]> = {
  'tokens:admin': [(t, c) => t.http().post('/api/v1/tokens/bulk-revoke').set(c).send({}), 422],
  'members:read': [(t, c) => t.http().get('/api/v1/members').set(c), 200],
  'members:write': [(t, c) => t.http().post('/api/v1/members').set(c).send({}), 422],
  'audit:read': [(t, c) => t.http().get('/api/v1/audit-events').query({ limit: 1 }).set(c), 200],
  'webhooks:read': [(t, c) => t.http().get('/api/v1/webhooks').set(c), 200],
  'webhooks:write': [(t, c) => t.http().post('/api/v1/webhooks').set(c).send({}), 422],
  introspect: [
    (t, c) => t.http().post('/oauth2/introspect').set(c).send({ token: 'lk_unknown' }),
    200,
  ],
};

describe.each(DRIVERS)('the gateway’s scope requirements within the role, on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  const secrets = {} as Record<Holder, Record<Held, string>>;

  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createUnexpiringBusiness(t);
    const both = async (caller: Caller, body: Record<string, unknown> = {}) => ({
      unrestricted: (await createToken(t, caller, body)).secret,
      'a list of every built-in': (await createToken(t, caller, { ...body, scopes: LIST })).secret,
    });
    secrets.owner = await both(asOwner(biz));
    const admin = await addMember(t, biz, 'admin');
    secrets.admin = await both(asMember(admin.token, biz.id));
    // A member's tokens as an admin made them, before the owner demoted them.
    const demoted = await addMember(t, biz, 'admin');
    secrets.member = await both(asMember(demoted.token, biz.id));
    await patchMember(t, asOwner(biz), demoted.identityId, { role: 'member' }).expect(200);
    const machineAdmin = await createMachine(t, biz, 'admin');
    secrets['machine admin'] = await both(asOwner(biz), { identity_id: machineAdmin.id });
    // A machine's role never changes, and a member machine is never issued a built-in now: its
    // list is written as a token made before that rule would hold it.
    const machineMember = await createMachine(t, biz, 'member');
    const ofMachine = { identity_id: machineMember.id };
    const listed = await createToken(t, asOwner(biz), { ...ofMachine, scopes: ['deploy:*'] });
    await t.sql('UPDATE api_tokens SET scopes = ? WHERE id = ?', [JSON.stringify(LIST), listed.id]);
    secrets['machine member'] = {
      unrestricted: (await createToken(t, asOwner(biz), ofMachine)).secret,
      'a list of every built-in': listed.secret,
    };
  });
  afterAll(() => t?.close());

  const verify = (secret: string, required: string) =>
    t
      .http()
      .get('/auth/verify')
      .set('authorization', `Bearer ${secret}`)
      .set('x-latchkey-business', biz.id)
      .set('x-latchkey-require-scope', required);

  it.each(ROWS)('%s, %s, requiring %j: passes %s', async (holder, held, required, want) => {
    const secret = secrets[holder][held];
    const res = await verify(secret, required);
    expect({ status: res.status, code: res.body?.code }).toEqual(
      want ? { status: 204, code: undefined } : { status: 403, code: 'INSUFFICIENT_SCOPE' },
    );
    if (want) {
      // What the upstream is told the token holds: what its role lets it hold.
      const list = SCOPES[held];
      const shown = list === null ? '*' : list.filter((s) => roleMayHold(roleOf(holder), s));
      expect(res.headers['x-latchkey-scopes']).toBe(shown === '*' ? '*' : shown.join(' '));
    }
    // The route the scope gates answers the same token alike: past its checks, or 403.
    if (GATED[required]) {
      const [call, past] = GATED[required];
      const api = await call(t, asMember(secret, biz.id));
      expect([required, api.status]).toEqual([required, want ? past : 403]);
    }
  });
});

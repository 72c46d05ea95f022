import type { Response } from 'supertest';
import { MembersService } from '../../src/tenancy/members.service';
import {
  addMember,
  asMember,
  BusinessFixture,
  createBusiness,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asOwner, asPlatform, listAuditEvents, postToken, whoami } from '../harness/app/api';
import { tokenIdOf } from '../harness/app/db';
import {
  breachesOf,
  daysLeft,
  getPolicy,
  inDays,
  listViolations,
  putPolicy,
} from '../harness/app/token-policy';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const STRICT = {
  max_lifetime_days: 30,
  require_expiry: true,
  allowed_scopes: ['deploy:*'],
  required_cidrs: ['10.0.0.0/8'],
};

// The business token policy's routes, its rules at create, and who may see and change it. Every
// other issuing path, the CLI included, is business-policy-paths.e2e-spec.ts's.
describe.each(DRIVERS)('business token policy on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => (t = await bootTestApp(driver)));
  afterAll(() => t?.close());

  const tokenCount = async (biz: BusinessFixture) =>
    (await t.sql('SELECT id FROM api_tokens WHERE business_id = ?', [biz.id])).length;

  it('any member reads it; only an owner (with tokens:admin) changes it, audited with before and after', async () => {
    const biz = await createBusiness(t);
    const member = await addMember(t, biz, 'member');
    const admin = await addMember(t, biz, 'admin');
    const none = await getPolicy(t, asMember(member.token, biz.id)).expect(200);
    expect(none.body.data).toEqual({
      max_lifetime_days: null,
      require_expiry: false,
      allowed_scopes: null,
      required_cidrs: null,
      inactivity_revoke_days: null,
      require_dpop: null,
      approval_required: null,
      updated_at: null,
      updated_by: null,
    });
    for (const who of [member, admin]) {
      const refused = await putPolicy(t, asMember(who.token, biz.id), STRICT).expect(403);
      expect(refused.body.code).toBe('INSUFFICIENT_ROLE');
    }
    // An owner's token that does not allow tokens:admin cannot either.
    const narrow = await createToken(t, asOwner(biz), { name: 'narrow', scopes: ['deploy:web'] });
    const scoped = await putPolicy(t, asMember(narrow.secret, biz.id), STRICT).expect(403);
    expect(scoped.body.code).toBe('INSUFFICIENT_SCOPE');
    expect((await getPolicy(t, asOwner(biz)).expect(200)).body.data).toEqual(none.body.data);

    const set = await putPolicy(t, asOwner(biz), { ...STRICT, required_cidrs: ['10.9.9.9/8'] });
    expect(set.status).toBe(200);
    const after = {
      ...STRICT,
      required_cidrs: ['10.0.0.0/8'],
      inactivity_revoke_days: null,
      require_dpop: null,
      approval_required: null,
    };
    expect(set.body.data).toMatchObject({ ...after, updated_by: biz.ownerEmail });
    const read = await getPolicy(t, asMember(member.token, biz.id)).expect(200);
    expect(read.body.data).toEqual(set.body.data);
    await putPolicy(t, asOwner(biz), { max_lifetime_days: 7 }).expect(200);

    const events = await listAuditEvents(t, asOwner(biz), { action: 'token_policy.updated' });
    const metadata = (events.body.data.items as { metadata: object }[]).map((e) => e.metadata);
    const cleared = { ...after, max_lifetime_days: 7, require_expiry: false, allowed_scopes: null };
    expect(metadata).toEqual([
      { before: after, after: { ...cleared, required_cidrs: null } },
      { before: null, after },
    ]);
  });

  it('a platform admin’s platform token replaces it too, and the audit entry names that admin', async () => {
    const biz = await createBusiness(t);
    const admin = (await whoami(t, asPlatform(t)).expect(200)).body.data.identity;
    const asPlatformIn = { ...asPlatform(t), 'x-business-id': biz.id };
    const set = await putPolicy(t, asPlatformIn, { max_lifetime_days: 14 }).expect(200);
    expect(set.body.data).toMatchObject({ max_lifetime_days: 14, updated_by: admin.email });
    const events = await listAuditEvents(t, asOwner(biz), { action: 'token_policy.updated' });
    expect(events.body.data.items).toHaveLength(1);
    expect(events.body.data.items[0]).toMatchObject({
      business_id: biz.id,
      actor: {
        id: admin.id,
        type: 'user',
        label: admin.email,
        token_id: await tokenIdOf(t, t.platformToken),
      },
      metadata: { before: null, after: { max_lifetime_days: 14 } },
    });
  });

  it.each([
    ['days out of range', { max_lifetime_days: 0 }, 'max_lifetime_days'],
    ['days too many', { max_lifetime_days: 3651 }, 'max_lifetime_days'],
    ['a fraction of a day', { max_lifetime_days: 1.5 }, 'max_lifetime_days'],
    ['inactivity under 8 days', { inactivity_revoke_days: 7 }, 'inactivity_revoke_days'],
    ['require_expiry not a boolean', { require_expiry: 'yes' }, 'require_expiry'],
    ['no scopes at all', { allowed_scopes: [] }, 'allowed_scopes'],
    ['a malformed scope', { allowed_scopes: ['Deploy'] }, 'allowed_scopes'],
    ['a scope too long', { allowed_scopes: ['a'.repeat(129)] }, 'allowed_scopes'],
    [
      'too many scopes',
      { allowed_scopes: [...Array(51).keys()].map((i) => `s${i}`) },
      'allowed_scopes',
    ],
    ['not a network', { required_cidrs: ['10.0.0.0/33'] }, 'required_cidrs'],
    [
      'too many networks',
      { required_cidrs: [...Array(21).keys()].map((i) => `10.${i}.0.0/16`) },
      'required_cidrs',
    ],
  ])('refuses %s with 422 at the field, changing nothing', async (_case, body, field) => {
    const biz = await createBusiness(t);
    const res = await putPolicy(t, asOwner(biz), body).expect(422);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    expect(res.body.detail.map((d: { loc: string[] }) => d.loc.join('.'))).toContain(
      `body.${field}`,
    );
    expect((await getPolicy(t, asOwner(biz)).expect(200)).body.data.updated_at).toBeNull();
  });

  const BOUND = { scopes: ['deploy:web'], allowed_cidrs: ['10.1.0.0/16'] };
  const WITHIN = { ...BOUND, expires_in_days: 30 };
  it.each([
    [
      'a lifetime past the maximum',
      { ...WITHIN, expires_in_days: 31 },
      'body.expires_in_days',
      'max_lifetime_days',
    ],
    [
      'an expiry past the maximum',
      { ...BOUND, expires_at: inDays(31) },
      'body.expires_at',
      'max_lifetime_days',
    ],
    ['no expiry under require_expiry', BOUND, 'body.expires_at', 'require_expiry'],
    ['a scope outside', { ...WITHIN, scopes: ['audit:read'] }, 'body.scopes', 'allowed_scopes'],
    [
      'a network outside',
      { ...WITHIN, allowed_cidrs: ['192.168.0.0/16'] },
      'body.allowed_cidrs',
      'required_cidrs',
    ],
  ])(
    'a create with %s is 422 POLICY_VIOLATION at its field; no token is made',
    async (_c, body, loc, rule) => {
      const biz = await createUnexpiringBusiness(t);
      await putPolicy(t, asOwner(biz), STRICT).expect(200);
      await postToken(t, asOwner(biz), { name: 'ok', ...WITHIN }).expect(201);
      const before = await tokenCount(biz);
      const res = await postToken(t, asOwner(biz), { name: 'bad', ...body }).expect(422);
      expect(breachesOf(res.body)).toEqual([[loc, rule]]);
      expect(res.body.detail[0].msg).toMatch(new RegExp(`^${rule}: `));
      expect(await tokenCount(biz)).toBe(before);
    },
  );

  it('a token that asks for nothing gets the policy’s maximum, scopes and networks', async () => {
    const biz = await createUnexpiringBusiness(t);
    await putPolicy(t, asOwner(biz), { ...STRICT, require_expiry: false }).expect(200);
    const made = await createToken(t, asOwner(biz), { name: 'defaults' });
    expect(daysLeft(made.view.expires_at)).toBe(30);
    expect(made.view).toMatchObject({ scopes: ['deploy:*'], allowed_cidrs: ['10.0.0.0/8'] });
    // With no maximum, no expiry stays none.
    await putPolicy(t, asOwner(biz), { allowed_scopes: ['deploy:*'] }).expect(200);
    expect((await createToken(t, asOwner(biz), { name: 'open' })).view.expires_at).toBeNull();
  });

  it('lists the active tokens that break it, paginated, and revokes none', async () => {
    const biz = await createUnexpiringBusiness(t);
    const keeps = { expires_in_days: 10, scopes: ['deploy:web'], allowed_cidrs: ['10.1.0.0/16'] };
    const good = await createToken(t, asOwner(biz), { name: 'good', ...keeps });
    const wide = await createToken(t, asOwner(biz), {
      name: 'wide',
      ...keeps,
      scopes: ['audit:read'],
    });
    const open = await createToken(t, asOwner(biz), { name: 'open' });
    const member = await addMember(t, biz, 'member');
    await putPolicy(t, asOwner(biz), { ...STRICT, require_expiry: false }).expect(200);

    const seen = new Map<string, string[]>();
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await listViolations(t, asOwner(biz), { limit: 2, cursor }).expect(200);
      for (const item of res.body.data.items as { id: string; violations: { rule: string }[] }[]) {
        seen.set(
          item.id,
          item.violations.map((v) => v.rule),
        );
      }
      expect(res.body.data.items.length).toBeLessThanOrEqual(2);
      cursor = res.body.data.next_cursor ?? undefined;
      if (!cursor) break;
    }
    expect(cursor).toBeUndefined();
    expect(seen.has(good.id)).toBe(false);
    expect(seen.get(wide.id)).toEqual(['allowed_scopes']);
    expect(seen.get(open.id)).toEqual(['max_lifetime_days', 'allowed_scopes', 'required_cidrs']);
    // The owner's own and the member's first token (unrestricted, anywhere) break it too.
    expect(seen.size).toBe(5);
    const statuses = await t.sql<{ revoked_at: unknown }>(
      'SELECT revoked_at FROM api_tokens WHERE business_id = ?',
      [biz.id],
    );
    expect(statuses.every((r) => r.revoked_at === null)).toBe(true);
    // A member sees only their own.
    const own = await listViolations(t, asMember(member.token, biz.id)).expect(200);
    expect(own.body.data.items.map((i: { identity_id: string }) => i.identity_id)).toEqual([
      member.identityId,
    ]);
  });

  it('takes a change of the policy while a member is being added, one after the other', async () => {
    const biz = await createBusiness(t);
    // The member is added (audited: the business's chain held), then the addition stops while
    // the policy changes; its first token then reads the policy.
    const members = t.app.get(MembersService);
    const addInTx = members.addInTx.bind(members);
    let changing: Promise<Response> | undefined;
    const pause = jest.spyOn(members, 'addInTx').mockImplementation(async (...args) => {
      const added = await addInTx(...args);
      changing ??= Promise.resolve(putPolicy(t, asOwner(biz), { max_lifetime_days: 30 }));
      await new Promise((r) => setTimeout(r, 300));
      return added;
    });
    let adding: Response;
    try {
      adding = await t
        .http()
        .post('/api/v1/members')
        .set(asOwner(biz))
        .send({ email: `${biz.id}@example.test`, role: 'member' });
    } finally {
      pause.mockRestore();
    }
    expect(adding.status).toBe(201);
    expect((await changing!).status).toBe(200);
    const policy = await getPolicy(t, asOwner(biz)).expect(200);
    expect(policy.body.data.max_lifetime_days).toBe(30);
  });

  it('cross-tenant: one business’s policy never binds another, which cannot read it', async () => {
    const a = await createBusiness(t);
    const b = await createBusiness(t);
    await putPolicy(t, asOwner(a), { max_lifetime_days: 1, allowed_scopes: ['deploy:*'] }).expect(
      200,
    );
    const free = await createToken(t, asOwner(b), { name: 'free', scopes: ['audit:read'] });
    expect(daysLeft(free.view.expires_at)).toBeGreaterThan(6);
    const asBInA = { ...asOwner(b), 'x-business-id': a.id };
    expect((await getPolicy(t, asBInA).expect(403)).body.code).toBe('BUSINESS_MISMATCH');
    await listViolations(t, asBInA).expect(403);
    await putPolicy(t, asBInA, {}).expect(403);
    await putPolicy(t, asOwner(b), { max_lifetime_days: 90 }).expect(200);
    expect((await getPolicy(t, asOwner(a)).expect(200)).body.data.max_lifetime_days).toBe(1);
    expect((await getPolicy(t, asOwner(b)).expect(200)).body.data.allowed_scopes).toBeNull();
  });
});

import { createHash, randomUUID } from 'node:crypto';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createUnexpiringBusiness,
  createMachine,
} from './factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  asPlatform,
  Caller,
  deleteMachine,
  listBusinesses,
  listMachines,
  listMembers,
  listPlatformAdmins,
  me,
  patchMember,
  postBusiness,
  postMachine,
  postMember,
  postPlatformAdmin,
  removeMember,
  removePlatformAdmin,
  resume,
  suspend,
} from './helpers/api';
import { membershipRoles } from './helpers/db';
import { bootTestApp, TestApp } from './helpers/test-app';
import { DRIVERS } from './setup/servers';

const DAY_MS = 24 * 60 * 60 * 1000;
const TOKEN_RE = /^lk_[0-9A-Za-z]{36}$/;

let seq = 0;
const uniq = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${++seq}`;

/** Asserts that an ISO timestamp lies about `days` days from now (within two minutes). */
function expectExpiresInDays(iso: string | null, days: number): void {
  expect(iso).toEqual(expect.any(String));
  const delta = new Date(iso as string).getTime() - (Date.now() + days * DAY_MS);
  expect(Math.abs(delta)).toBeLessThan(2 * 60 * 1000);
}

describe.each(DRIVERS)('tenancy on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t.close());

  const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 't';

  /** The people of a business, as its owner lists them. */
  const memberItems = async (b: BusinessFixture) => {
    const res = await listMembers(t, asOwner(b), { limit: 200 }).expect(200);
    return res.body.data.items as {
      identity_id: string;
      role: string;
      kind: string;
      email: string;
    }[];
  };

  /** The machine identities of a business, as its owner lists them. */
  const machineItems = async (b: BusinessFixture) => {
    const res = await listMachines(t, asOwner(b), { limit: 200 }).expect(200);
    return res.body.data.items as { id: string; name: string; role: string }[];
  };

  /** PATCH (with `body`) or DELETE of a member: the two changes that tables run side by side. */
  const changeMember = (
    method: 'patch' | 'delete',
    caller: Caller,
    identityId: string,
    body: object = { role: 'admin' },
  ) =>
    method === 'patch'
      ? patchMember(t, caller, identityId, body)
      : removeMember(t, caller, identityId);

  // ---------------------------------------------------------------------------------------------
  describe('platform: businesses', () => {
    it('creates a business with its owner and an unrestricted 7-day first token', async () => {
      const name = uniq('Acme');
      const email = `${uniq('owner')}@acme.test`;
      const res = await postBusiness(t, asPlatform(t), { name, owner_email: email }).expect(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({ success: true, message: null, code: null });
      const { business, owner, first_token } = res.body.data;
      expect(business).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name,
        status: 'active',
        created_at: expect.any(String),
      });
      expect(owner).toMatchObject({
        identity_id: expect.any(String),
        kind: 'user',
        email,
        role: 'owner',
      });
      expect(first_token).toMatchObject({
        token: expect.stringMatching(TOKEN_RE),
        scopes: null,
        status: 'active',
        business_id: business.id,
        identity_id: owner.identity_id,
        revoked_at: null,
      });
      expectExpiresInDays(first_token.expires_at, 7);
      expect(JSON.stringify(res.body)).not.toContain('token_hash');

      const [row] = await t.sql('SELECT name, status FROM businesses WHERE id = ?', [business.id]);
      expect(row).toEqual({ name, status: 'active' });
      const memberships = await t.sql(
        'SELECT identity_id, role FROM memberships WHERE business_id = ?',
        [business.id],
      );
      expect(memberships).toEqual([{ identity_id: owner.identity_id, role: 'owner' }]);
      const tokens = await t.sql<{
        id: string;
        token_hash: string;
        identity_id: string;
        revoked_at: unknown;
      }>('SELECT id, token_hash, identity_id, revoked_at FROM api_tokens WHERE business_id = ?', [
        business.id,
      ]);
      expect(tokens).toHaveLength(1);
      expect(tokens[0]).toMatchObject({
        id: first_token.id,
        identity_id: owner.identity_id,
        token_hash: createHash('sha256').update(first_token.token).digest('hex'),
        revoked_at: null,
      });
    });

    it('honours expires_in_days for the first token', async () => {
      const res = await postBusiness(t, asPlatform(t), {
        name: uniq('Long'),
        owner_email: `${uniq('owner')}@long.test`,
        expires_in_days: 30,
      }).expect(201);
      expectExpiresInDays(res.body.data.first_token.expires_at, 30);
      const [row] = await t.sql<{ expires_at: unknown }>(
        'SELECT expires_at FROM api_tokens WHERE id = ?',
        [res.body.data.first_token.id],
      );
      expect(row.expires_at).not.toBeNull();
    });

    it("lets the owner's first token call GET /api/v1/me", async () => {
      const b = await createBusiness(t);
      const res = await me(t, asOwner(b)).expect(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data.identity.id).toBe(b.ownerId);
      expect(res.body.data.role).toBe('owner');
    });

    it('lists the new business', async () => {
      const b = await createBusiness(t);
      const res = await listBusinesses(t, asPlatform(t), { limit: 200 }).expect(200);
      expect(res.body).toMatchObject({ success: true, code: null });
      expect(res.body.data).toEqual({ items: expect.any(Array), next_cursor: null });
      const found = res.body.data.items.find((i: { id: string }) => i.id === b.id);
      expect(found).toMatchObject({ id: b.id, status: 'active' });
    });

    it('suspends idempotently and resumes', async () => {
      const b = await createBusiness(t);
      const first = await suspend(t, b.id).expect(200);
      expect(first.body).toMatchObject({
        success: true,
        code: null,
        data: { id: b.id, status: 'suspended' },
      });
      let [row] = await t.sql<{ status: string }>('SELECT status FROM businesses WHERE id = ?', [
        b.id,
      ]);
      expect(row.status).toBe('suspended');

      const again = await suspend(t, b.id).expect(200);
      expect(again.body).toMatchObject({
        success: true,
        code: 'ALREADY_SUSPENDED',
        data: { id: b.id, status: 'suspended' },
      });

      // While suspended, the owner's token is refused.
      const refused = await me(t, asOwner(b)).expect(403);
      expect(refused.body.code).toBe('BUSINESS_SUSPENDED');

      const resumed = await resume(t, b.id).expect(200);
      expect(resumed.body).toMatchObject({
        success: true,
        code: null,
        data: { id: b.id, status: 'active' },
      });
      [row] = await t.sql<{ status: string }>('SELECT status FROM businesses WHERE id = ?', [b.id]);
      expect(row.status).toBe('active');
      await me(t, asOwner(b)).expect(200);
    });

    it('answers suspend of an unknown business with 404 BUSINESS_NOT_FOUND', async () => {
      const res = await suspend(t, randomUUID()).expect(404);
      expect(res.body).toMatchObject({
        success: false,
        code: 'BUSINESS_NOT_FOUND',
        request_id: expect.any(String),
      });
    });

    it('lowercases the owner email', async () => {
      const local = uniq('Owner');
      const res = await postBusiness(t, asPlatform(t), {
        name: uniq('Case'),
        owner_email: `${local}@X.Test`,
      }).expect(201);
      const expected = `${local.toLowerCase()}@x.test`;
      expect(res.body.data.owner.email).toBe(expected);
      const [row] = await t.sql<{ email: string }>('SELECT email FROM identities WHERE id = ?', [
        res.body.data.owner.identity_id,
      ]);
      expect(row.email).toBe(expected);
    });

    it('maps the same email across two businesses to one identity', async () => {
      const email = `${uniq('shared')}@example.test`;
      const create = (owner_email: string) =>
        postBusiness(t, asPlatform(t), { name: uniq('Dup'), owner_email }).expect(201);
      const a = await create(email);
      const b = await create(email.toUpperCase());
      expect(b.body.data.owner.identity_id).toBe(a.body.data.owner.identity_id);
      const rows = await t.sql('SELECT id FROM identities WHERE email = ?', [email]);
      expect(rows).toHaveLength(1);
      const m = await t.sql('SELECT business_id FROM memberships WHERE identity_id = ?', [
        a.body.data.owner.identity_id,
      ]);
      expect(m).toHaveLength(2);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('members', () => {
    it.each(['member', 'admin', 'owner'] as const)(
      'lets the owner add a %s whose first token works in that business',
      async (role) => {
        const b = await createBusiness(t);
        const email = `${uniq(role)}@example.test`;
        const res = await postMember(t, asOwner(b), { email, role }).expect(201);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body).toMatchObject({ success: true, code: null });
        const { member, first_token } = res.body.data;
        expect(member).toMatchObject({
          identity_id: expect.any(String),
          kind: 'user',
          email,
          role,
        });
        expect(first_token).toMatchObject({
          token: expect.stringMatching(TOKEN_RE),
          scopes: null,
          business_id: b.id,
          identity_id: member.identity_id,
        });
        expectExpiresInDays(first_token.expires_at, 7);

        const who = await me(t, asMember(first_token.token, b.id)).expect(200);
        expect(who.body.data).toMatchObject({ identity: { id: member.identity_id, email }, role });

        const rows = await membershipRoles(t, b.id, member.identity_id);
        expect(rows).toEqual([{ role }]);
      },
    );

    it('honours expires_in_days for a member first token', async () => {
      const b = await createUnexpiringBusiness(t);
      const res = await postMember(t, asOwner(b), {
        email: `${uniq('m')}@example.test`,
        role: 'member',
        expires_in_days: 30,
      }).expect(201);
      expectExpiresInDays(res.body.data.first_token.expires_at, 30);
    });

    it('answers a duplicate add with 409 MEMBER_EXISTS', async () => {
      const b = await createBusiness(t);
      const m = await addMember(t, b, 'member');
      const res = await postMember(t, asOwner(b), { email: m.email, role: 'admin' }).expect(409);
      expect(res.body).toMatchObject({ success: false, code: 'MEMBER_EXISTS' });
      const rows = await membershipRoles(t, b.id, m.identityId);
      expect(rows).toEqual([{ role: 'member' }]);
    });

    it('lists the people with their roles, and not machine identities', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      const member = await addMember(t, b, 'member');
      const machine = await createMachine(t, b, 'member');
      const res = await listMembers(t, asOwner(b)).expect(200);
      expect(res.body).toMatchObject({ success: true, data: { next_cursor: null } });
      const items = res.body.data.items as { identity_id: string; role: string; kind: string }[];
      const roles = Object.fromEntries(items.map((i) => [i.identity_id, i.role]));
      expect(roles).toEqual({
        [b.ownerId]: 'owner',
        [admin.identityId]: 'admin',
        [member.identityId]: 'member',
      });
      expect(items.every((i) => i.kind === 'user')).toBe(true);
      expect(items.map((i) => i.identity_id)).not.toContain(machine.id);
    });

    it("changes a member's role (admin to member)", async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      const res = await patchMember(t, asOwner(b), admin.identityId, { role: 'member' }).expect(
        200,
      );
      expect(res.body).toMatchObject({
        success: true,
        data: { identity_id: admin.identityId, role: 'member' },
      });
      const rows = await membershipRoles(t, b.id, admin.identityId);
      expect(rows).toEqual([{ role: 'member' }]);
      // Now a member, they may no longer list members.
      const denied = await listMembers(t, asMember(admin.token, b.id)).expect(403);
      expect(denied.body.code).toBe('INSUFFICIENT_ROLE');
    });

    describe('an admin', () => {
      it('may not add an owner', async () => {
        const b = await createBusiness(t);
        const admin = await addMember(t, b, 'admin');
        const email = `${uniq('would-be-owner')}@example.test`;
        const res = await postMember(t, asMember(admin.token, b.id), {
          email,
          role: 'owner',
        }).expect(403);
        expect(res.body).toMatchObject({ success: false, code: 'INSUFFICIENT_ROLE' });
        expect(await t.sql('SELECT id FROM identities WHERE email = ?', [email])).toHaveLength(0);
      });

      it('may not promote to owner', async () => {
        const b = await createBusiness(t);
        const admin = await addMember(t, b, 'admin');
        const member = await addMember(t, b, 'member');
        const res = await patchMember(t, asMember(admin.token, b.id), member.identityId, {
          role: 'owner',
        }).expect(403);
        expect(res.body.code).toBe('INSUFFICIENT_ROLE');
        const rows = await membershipRoles(t, b.id, member.identityId);
        expect(rows).toEqual([{ role: 'member' }]);
      });

      it.each([
        { title: 'may not demote an owner', method: 'patch' },
        { title: 'may not remove an owner', method: 'delete' },
      ] as const)('$title', async ({ method }) => {
        const b = await createBusiness(t);
        await addMember(t, b, 'owner');
        const admin = await addMember(t, b, 'admin');
        const res = await changeMember(method, asMember(admin.token, b.id), b.ownerId, {
          role: 'member',
        }).expect(403);
        expect(res.body.code).toBe('INSUFFICIENT_ROLE');
        expect(await membershipRoles(t, b.id, b.ownerId)).toEqual([{ role: 'owner' }]);
        await me(t, asOwner(b)).expect(200);
      });

      it('may add and remove members', async () => {
        const b = await createBusiness(t);
        const admin = await addMember(t, b, 'admin');
        const email = `${uniq('by-admin')}@example.test`;
        const added = await postMember(t, asMember(admin.token, b.id), {
          email,
          role: 'member',
        }).expect(201);
        const id = added.body.data.member.identity_id;
        await me(t, asMember(added.body.data.first_token.token, b.id)).expect(200);

        const removed = await removeMember(t, asMember(admin.token, b.id), id).expect(200);
        expect(removed.body).toMatchObject({
          success: true,
          data: { identity_id: id, role: 'member' },
        });
        expect(await membershipRoles(t, b.id, id)).toHaveLength(0);
        await me(t, asMember(added.body.data.first_token.token, b.id)).expect(401);
      });
    });

    it.each([
      { title: 'refuses to demote the last owner with 409 LAST_OWNER', method: 'patch' },
      { title: 'refuses to remove the last owner with 409 LAST_OWNER', method: 'delete' },
    ] as const)('$title', async ({ method }) => {
      const b = await createBusiness(t);
      await addMember(t, b, 'admin');
      const res = await changeMember(method, asOwner(b), b.ownerId, { role: 'admin' }).expect(409);
      expect(res.body).toMatchObject({ success: false, code: 'LAST_OWNER' });
      expect(await membershipRoles(t, b.id, b.ownerId)).toEqual([{ role: 'owner' }]);
      await me(t, asOwner(b)).expect(200);
    });

    it('lets one of two owners demote the other', async () => {
      const b = await createBusiness(t);
      const second = await addMember(t, b, 'owner');
      const res = await patchMember(t, asMember(second.token, b.id), b.ownerId, {
        role: 'admin',
      }).expect(200);
      expect(res.body.data).toMatchObject({ identity_id: b.ownerId, role: 'admin' });
      expect(await membershipRoles(t, b.id, b.ownerId)).toEqual([{ role: 'admin' }]);
      // The second owner is now the last one.
      const last = await patchMember(t, asMember(second.token, b.id), second.identityId, {
        role: 'member',
      }).expect(409);
      expect(last.body.code).toBe('LAST_OWNER');
    });

    it('removes a member, revoking their tokens here but not in another business', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const email = `${uniq('two-homes')}@example.test`;
      const inA = await addMember(t, a, 'member', email);
      const inOther = await addMember(t, other, 'member', email);
      expect(inOther.identityId).toBe(inA.identityId);

      const res = await removeMember(t, asOwner(a), inA.identityId).expect(200);
      expect(res.body).toMatchObject({
        success: true,
        data: { identity_id: inA.identityId, email },
      });

      const revoked = await t.sql<{
        revoked_at: unknown;
        revoked_by: string;
        revocation_reason: string;
      }>(
        'SELECT revoked_at, revoked_by, revocation_reason FROM api_tokens WHERE business_id = ? AND identity_id = ?',
        [a.id, inA.identityId],
      );
      expect(revoked).toHaveLength(1);
      expect(revoked[0].revoked_at).not.toBeNull();
      expect(revoked[0].revoked_by).toBe(a.ownerEmail);
      expect(revoked[0].revocation_reason).toEqual(expect.any(String));
      expect(revoked[0].revocation_reason.length).toBeGreaterThan(0);
      expect(await membershipRoles(t, a.id, inA.identityId)).toHaveLength(0);
      expect((await memberItems(a)).map((m) => m.identity_id)).toEqual([a.ownerId]);
      expect((await memberItems(other)).map((m) => m.identity_id)).toContain(inA.identityId);

      const kept = await t.sql<{ revoked_at: unknown }>(
        'SELECT revoked_at FROM api_tokens WHERE business_id = ? AND identity_id = ?',
        [other.id, inA.identityId],
      );
      expect(kept).toEqual([{ revoked_at: null }]);
      expect(await membershipRoles(t, other.id, inA.identityId)).toEqual([{ role: 'member' }]);

      await me(t, asMember(inA.token, a.id)).expect(401);
      const still = await me(t, asMember(inOther.token, other.id)).expect(200);
      expect(still.body.data).toMatchObject({ identity: { id: inA.identityId }, role: 'member' });
    });

    /** An owner or an admin acting on someone of another business: 404, never 403. */
    it.each([
      {
        title: 'answers patch of a member of another business only with 404 MEMBER_NOT_FOUND',
        caller: 'owner',
        target: 'member',
        method: 'patch',
      },
      {
        title: 'answers delete of a member of another business only with 404 MEMBER_NOT_FOUND',
        caller: 'owner',
        target: 'member',
        method: 'delete',
      },
      {
        title: "answers an admin's patch of another business's owner with 404, never 403",
        caller: 'admin',
        target: 'owner',
        method: 'patch',
      },
      {
        title: "answers an admin's delete of another business's owner with 404, never 403",
        caller: 'admin',
        target: 'owner',
        method: 'delete',
      },
    ] as const)('$title', async ({ caller, target, method }) => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const as =
        caller === 'owner' ? asOwner(a) : asMember((await addMember(t, a, caller)).token, a.id);
      const stranger =
        target === 'owner'
          ? { identityId: other.ownerId, token: other.ownerToken }
          : await addMember(t, other, target);
      // An admin asks to promote: in its own business that would be 403, here it is 404.
      const body = { role: caller === 'owner' ? 'admin' : 'owner' };
      const res = await changeMember(method, as, stranger.identityId, body).expect(404);
      expect(res.body).toMatchObject({ success: false, code: 'MEMBER_NOT_FOUND' });
      expect(await membershipRoles(t, other.id, stranger.identityId)).toEqual([{ role: target }]);
      await me(t, asMember(stranger.token, other.id)).expect(200);
    });

    it.each(['patch', 'delete'] as const)(
      'answers %s with a malformed identity_id with 422 in the path',
      async (method) => {
        const b = await createBusiness(t);
        const res = await changeMember(method, asOwner(b), 'not-a-uuid').expect(422);
        expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
        expect(res.body.detail[0].loc).toEqual(['path', 'identity_id']);
      },
    );

    it('answers an invalid role with 422 in the body', async () => {
      const b = await createBusiness(t);
      const m = await addMember(t, b, 'member');
      const email = `${uniq('bad-role')}@example.test`;
      const add = await postMember(t, asOwner(b), { email, role: 'superuser' }).expect(422);
      expect(add.body.code).toBe('VALIDATION_ERROR');
      expect(add.body.detail.map((d: { loc: string[] }) => d.loc)).toContainEqual(['body', 'role']);
      expect(await t.sql('SELECT id FROM identities WHERE email = ?', [email])).toHaveLength(0);

      const patch = await patchMember(t, asOwner(b), m.identityId, { role: 'superuser' }).expect(
        422,
      );
      expect(patch.body.detail.map((d: { loc: string[] }) => d.loc)).toContainEqual([
        'body',
        'role',
      ]);
      expect(await membershipRoles(t, b.id, m.identityId)).toEqual([{ role: 'member' }]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('machine identities', () => {
    it('creates a machine identity', async () => {
      const b = await createBusiness(t);
      const name = uniq('ci-runner');
      const res = await postMachine(t, asOwner(b), { name, role: 'member' }).expect(201);
      expect(res.body).toMatchObject({ success: true, code: null });
      expect(res.body.data).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name,
        role: 'member',
        created_at: expect.any(String),
      });
      const [row] = await t.sql<{
        kind: string;
        name: string;
        business_id: string;
        deleted_at: unknown;
      }>('SELECT kind, name, business_id, deleted_at FROM identities WHERE id = ?', [
        res.body.data.id,
      ]);
      expect(row).toEqual({ kind: 'machine', name, business_id: b.id, deleted_at: null });
      expect(await membershipRoles(t, b.id, res.body.data.id)).toEqual([{ role: 'member' }]);
    });

    it('refuses the owner role with 422 in the body', async () => {
      const b = await createBusiness(t);
      const name = uniq('boss-bot');
      const res = await postMachine(t, asOwner(b), { name, role: 'owner' }).expect(422);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: string[] }) => d.loc)).toContainEqual(['body', 'role']);
      expect(await t.sql('SELECT id FROM identities WHERE name = ?', [name])).toHaveLength(0);
    });

    it('answers a duplicate name in the same business with 409 IDENTITY_EXISTS, but allows it elsewhere', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const name = uniq('deployer');
      await createMachine(t, a, 'member', name);
      const dup = await postMachine(t, asOwner(a), { name, role: 'admin' }).expect(409);
      expect(dup.body).toMatchObject({ success: false, code: 'IDENTITY_EXISTS' });
      const elsewhere = await postMachine(t, asOwner(other), { name, role: 'admin' }).expect(201);
      expect(elsewhere.body.data).toMatchObject({ name, role: 'admin' });
      const rows = await t.sql<{ business_id: string }>(
        "SELECT business_id FROM identities WHERE kind = 'machine' AND name = ?",
        [name],
      );
      expect(rows.map((r) => r.business_id).sort()).toEqual([a.id, other.id].sort());
    });

    it('answers an invalid name with 422', async () => {
      const b = await createBusiness(t);
      const res = await postMachine(t, asOwner(b), { name: 'Has Spaces', role: 'member' }).expect(
        422,
      );
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: string[] }) => d.loc)).toContainEqual(['body', 'name']);
      expect(await t.sql('SELECT id FROM identities WHERE name = ?', ['Has Spaces'])).toHaveLength(
        0,
      );
    });

    it('lists machine identities', async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b, 'admin');
      const res = await listMachines(t, asOwner(b)).expect(200);
      expect(res.body).toMatchObject({ success: true, data: { next_cursor: null } });
      expect(res.body.data.items).toEqual([
        { id: machine.id, name: machine.name, role: 'admin', created_at: expect.any(String) },
      ]);
    });

    it('deletes a machine identity softly, and a second delete is 404 IDENTITY_NOT_FOUND', async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b, 'member');
      const res = await deleteMachine(t, asOwner(b), machine.id).expect(200);
      expect(res.body).toMatchObject({
        success: true,
        data: { id: machine.id, name: machine.name },
      });

      expect((await machineItems(b)).map((m) => m.id)).not.toContain(machine.id);
      const [row] = await t.sql<{ deleted_at: unknown }>(
        'SELECT deleted_at FROM identities WHERE id = ?',
        [machine.id],
      );
      expect(row.deleted_at).not.toBeNull();
      expect(await membershipRoles(t, b.id, machine.id)).toHaveLength(0);

      const again = await deleteMachine(t, asOwner(b), machine.id).expect(404);
      expect(again.body).toMatchObject({ success: false, code: 'IDENTITY_NOT_FOUND' });
    });

    it("answers deleting another business's machine with 404", async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const machine = await createMachine(t, other, 'member');
      const res = await deleteMachine(t, asOwner(a), machine.id).expect(404);
      expect(res.body).toMatchObject({ success: false, code: 'IDENTITY_NOT_FOUND' });
      const [row] = await t.sql<{ deleted_at: unknown }>(
        'SELECT deleted_at FROM identities WHERE id = ?',
        [machine.id],
      );
      expect(row.deleted_at).toBeNull();
      expect((await machineItems(other)).map((m) => m.id)).toContain(machine.id);
    });

    it('answers deleting with a malformed identity_id with 422 in the path', async () => {
      const b = await createBusiness(t);
      const res = await deleteMachine(t, asOwner(b), 'not-a-uuid').expect(422);
      expect(res.body.detail[0].loc).toEqual(['path', 'identity_id']);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('platform admins', () => {
    const listAdmins = async (token = t.platformToken) => {
      const res = await listPlatformAdmins(t, asBearer(token), { limit: 200 }).expect(200);
      return res.body.data.items as { identity_id: string; email: string }[];
    };

    /** The bootstrap admin's identity, read through GET /api/v1/me with the platform token. */
    const bootstrapAdminId = async () => {
      const b = await createBusiness(t);
      const res = await me(t, asMember(t.platformToken, b.id)).expect(200);
      return res.body.data.identity.id as string;
    };

    it('lists the bootstrap admin', async () => {
      const id = await bootstrapAdminId();
      const res = await listPlatformAdmins(t, asPlatform(t)).expect(200);
      expect(res.body).toMatchObject({ success: true, data: { items: expect.any(Array) } });
      expect(res.body.data.items).toContainEqual(
        expect.objectContaining({ identity_id: id, email: 'admin@latchkey.local' }),
      );
    });

    it('adds an admin whose first token is a platform token', async () => {
      const email = `${uniq('ops')}@latchkey.test`;
      const res = await postPlatformAdmin(t, asPlatform(t), { email }).expect(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({
        success: true,
        data: { admin: { identity_id: expect.any(String), email } },
      });
      const { admin, first_token } = res.body.data;
      expect(first_token).toMatchObject({
        token: expect.stringMatching(TOKEN_RE),
        business_id: null,
        identity_id: admin.identity_id,
      });
      await listBusinesses(t, asBearer(first_token.token)).expect(200);
      expect((await listAdmins()).map((a) => a.identity_id)).toContain(admin.identity_id);
      const [row] = await t.sql<{ is_platform_admin: unknown }>(
        'SELECT is_platform_admin FROM identities WHERE id = ?',
        [admin.identity_id],
      );
      expect(truthy(row.is_platform_admin)).toBe(true);
    });

    it('answers adding the same admin again with 409', async () => {
      const email = `${uniq('twice')}@latchkey.test`;
      await postPlatformAdmin(t, asPlatform(t), { email }).expect(201);
      const res = await postPlatformAdmin(t, asPlatform(t), { email }).expect(409);
      expect(res.body).toMatchObject({ success: false, code: 'IDENTITY_EXISTS' });
      const tokens = await t.sql(
        'SELECT t.id FROM api_tokens t JOIN identities i ON i.id = t.identity_id WHERE i.email = ? AND t.business_id IS NULL',
        [email],
      );
      expect(tokens).toHaveLength(1);
    });

    it('removes an admin, whose platform token then gets 401', async () => {
      const email = `${uniq('leaver')}@latchkey.test`;
      const added = await postPlatformAdmin(t, asPlatform(t), { email }).expect(201);
      const { admin, first_token } = added.body.data;
      const res = await removePlatformAdmin(t, asPlatform(t), admin.identity_id).expect(200);
      expect(res.body).toMatchObject({
        success: true,
        data: { identity_id: admin.identity_id, email },
      });

      const denied = await listBusinesses(t, asBearer(first_token.token)).expect(401);
      expect(denied.body.success).toBe(false);
      expect(denied.headers['www-authenticate']).toContain('Bearer');

      expect((await listAdmins()).map((a) => a.identity_id)).not.toContain(admin.identity_id);
      const [row] = await t.sql<{ is_platform_admin: unknown }>(
        'SELECT is_platform_admin FROM identities WHERE id = ?',
        [admin.identity_id],
      );
      expect(truthy(row.is_platform_admin)).toBe(false);
      const [token] = await t.sql<{ revoked_at: unknown }>(
        'SELECT revoked_at FROM api_tokens WHERE id = ?',
        [first_token.id],
      );
      expect(token.revoked_at).not.toBeNull();
    });

    it('answers removing an unknown admin with 404', async () => {
      const res = await removePlatformAdmin(t, asPlatform(t), randomUUID()).expect(404);
      expect(res.body.code).toBe('IDENTITY_NOT_FOUND');
    });

    it('refuses to remove the last platform admin with 409 LAST_PLATFORM_ADMIN', async () => {
      const selfId = await bootstrapAdminId();
      await postPlatformAdmin(t, asPlatform(t), { email: `${uniq('extra')}@latchkey.test` }).expect(
        201,
      );
      for (const other of (await listAdmins()).filter((a) => a.identity_id !== selfId)) {
        await removePlatformAdmin(t, asPlatform(t), other.identity_id).expect(200);
      }
      expect((await listAdmins()).map((a) => a.identity_id)).toEqual([selfId]);

      const res = await removePlatformAdmin(t, asPlatform(t), selfId).expect(409);
      expect(res.body).toMatchObject({ success: false, code: 'LAST_PLATFORM_ADMIN' });
      const [row] = await t.sql<{ is_platform_admin: unknown }>(
        'SELECT is_platform_admin FROM identities WHERE id = ?',
        [selfId],
      );
      expect(truthy(row.is_platform_admin)).toBe(true);
      await listBusinesses(t, asPlatform(t)).expect(200);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('GET /api/v1/me', () => {
    it('describes the caller: identity, token view, business and role', async () => {
      const b = await createBusiness(t);
      const res = await me(t, asOwner(b)).expect(200);
      expect(res.body).toMatchObject({ success: true, message: null, code: null });
      const { identity, token, business, role } = res.body.data;
      expect(identity).toEqual({
        id: b.ownerId,
        kind: 'user',
        email: b.ownerEmail,
        name: null,
        is_platform_admin: false,
      });
      expect(token).toMatchObject({
        id: expect.any(String),
        jti: expect.any(String),
        name: expect.any(String),
        preview: expect.any(String),
        scopes: null,
        status: 'active',
        business_id: b.id,
        identity_id: b.ownerId,
        revoked_at: null,
      });
      expect(token).not.toHaveProperty('token');
      expect(token).not.toHaveProperty('token_hash');
      expect(JSON.stringify(res.body)).not.toContain(b.ownerToken);
      const [row] = await t.sql<{ id: string }>('SELECT id FROM api_tokens WHERE token_hash = ?', [
        createHash('sha256').update(b.ownerToken).digest('hex'),
      ]);
      expect(token.id).toBe(row.id);
      expect(business).toMatchObject({ id: b.id, status: 'active', name: expect.any(String) });
      expect(role).toBe('owner');
    });

    it.each([
      { title: "gives a member's role", role: 'member' },
      { title: "gives an admin's role", role: 'admin' },
      { title: "gives a second owner's role", role: 'owner' },
    ] as const)('$title', async ({ role }) => {
      const b = await createBusiness(t);
      const m = await addMember(t, b, role);
      const res = await me(t, asMember(m.token, b.id)).expect(200);
      expect(res.body.data).toMatchObject({
        identity: { id: m.identityId, email: m.email, kind: 'user' },
        business: { id: b.id },
        role,
      });
    });

    it('follows a role change at once, though the view of a warm token is reused', async () => {
      const b = await createBusiness(t);
      const m = await addMember(t, b, 'admin');
      const first = await me(t, asMember(m.token, b.id)).expect(200);
      const again = await me(t, asMember(m.token, b.id)).expect(200);
      expect(again.text).toBe(first.text);
      expect(again.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(first.body).toMatchObject({ success: true, message: null, code: null });
      expect(first.body.data.role).toBe('admin');
      await patchMember(t, asOwner(b), m.identityId, { role: 'member' }).expect(200);
      const after = await me(t, asMember(m.token, b.id)).expect(200);
      expect(after.body.data.role).toBe('member');
    });

    it('describes each business a platform token acts in, one after the other', async () => {
      const [a, b] = [await createBusiness(t), await createBusiness(t)];
      for (const biz of [a, b, a, b]) {
        const res = await me(t, asMember(t.platformToken, biz.id)).expect(200);
        expect(res.body.data.business.id).toBe(biz.id);
      }
    });

    it('gives a null role for a platform token', async () => {
      const b = await createBusiness(t);
      const res = await me(t, asMember(t.platformToken, b.id)).expect(200);
      expect(res.body.data).toMatchObject({
        identity: { is_platform_admin: true },
        token: { business_id: null },
        business: { id: b.id },
        role: null,
      });
    });
  });
});

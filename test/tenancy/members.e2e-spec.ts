import {
  addMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  Caller,
  listMembers,
  me,
  patchMember,
  postMember,
  removeMember,
  revoke,
} from '../harness/app/api';
import { membershipRoles } from '../harness/app/db';
import { expectExpiresInDays, TOKEN_RE, uniq } from './tenancy-fixtures';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

describe.each(DRIVERS)('members on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

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

    it('answers how many tokens the removal revoked: the active ones, not those already revoked', async () => {
      const b = await createBusiness(t);
      const m = await addMember(t, b, 'member');
      const own = asMember(m.token, b.id);
      await createToken(t, own, { name: 'second' });
      await createToken(t, own, { name: 'third' });
      const gone = await createToken(t, own, { name: 'gone' });
      await revoke(t, own, gone.id, { reason: 'lost laptop' }).expect(201);
      // Another business's token of the same person is not this removal's.
      const elsewhere = await createBusiness(t);
      const there = await addMember(t, elsewhere, 'member', m.email);

      const res = await removeMember(t, asOwner(b), m.identityId).expect(200);
      expect(res.body.data).toEqual({
        identity_id: m.identityId,
        kind: 'user',
        email: m.email,
        name: null,
        role: 'member',
        joined_at: expect.any(String),
        custom_role_id: null,
        revoked_tokens: 3,
      });
      const reasons = await t.sql<{ revocation_reason: string }>(
        'SELECT revocation_reason FROM api_tokens WHERE business_id = ? AND identity_id = ? ORDER BY revocation_reason',
        [b.id, m.identityId],
      );
      expect(reasons.map((r) => r.revocation_reason)).toEqual([
        'lost laptop',
        'member removed from business',
        'member removed from business',
        'member removed from business',
      ]);
      await me(t, asMember(there.token, elsewhere.id)).expect(200);
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
});

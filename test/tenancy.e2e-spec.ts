import { createHash, randomUUID } from 'node:crypto';
import {
  addMember,
  asMember,
  BusinessFixture,
  createBusiness,
  createMachine,
} from './factories/tenancy.factory';
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

  const platform = (token = t.platformToken) => ({ authorization: `Bearer ${token}` });

  const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 't';

  const me = (token: string, businessId: string) =>
    t.http().get('/api/v1/me').set(asMember(token, businessId));

  const listMembers = async (b: BusinessFixture) => {
    const res = await t
      .http()
      .get('/api/v1/members?limit=200')
      .set(asMember(b.ownerToken, b.id))
      .expect(200);
    return res.body.data.items as {
      identity_id: string;
      role: string;
      kind: string;
      email: string;
    }[];
  };

  const listMachines = async (b: BusinessFixture) => {
    const res = await t
      .http()
      .get('/api/v1/machine-identities?limit=200')
      .set(asMember(b.ownerToken, b.id))
      .expect(200);
    return res.body.data.items as { id: string; name: string; role: string }[];
  };

  // ---------------------------------------------------------------------------------------------
  describe('platform: businesses', () => {
    it('creates a business with its owner and an unrestricted 7-day first token', async () => {
      const name = uniq('Acme');
      const email = `${uniq('owner')}@acme.test`;
      const res = await t
        .http()
        .post('/platform/v1/businesses')
        .set(platform())
        .send({ name, owner_email: email })
        .expect(201);
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
      const res = await t
        .http()
        .post('/platform/v1/businesses')
        .set(platform())
        .send({
          name: uniq('Long'),
          owner_email: `${uniq('owner')}@long.test`,
          expires_in_days: 30,
        })
        .expect(201);
      expectExpiresInDays(res.body.data.first_token.expires_at, 30);
      const [row] = await t.sql<{ expires_at: unknown }>(
        'SELECT expires_at FROM api_tokens WHERE id = ?',
        [res.body.data.first_token.id],
      );
      expect(row.expires_at).not.toBeNull();
    });

    it("lets the owner's first token call GET /api/v1/me", async () => {
      const b = await createBusiness(t);
      const res = await me(b.ownerToken, b.id).expect(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data.identity.id).toBe(b.ownerId);
      expect(res.body.data.role).toBe('owner');
    });

    it('lists the new business', async () => {
      const b = await createBusiness(t);
      const res = await t
        .http()
        .get('/platform/v1/businesses?limit=200')
        .set(platform())
        .expect(200);
      expect(res.body).toMatchObject({ success: true, code: null });
      expect(res.body.data).toEqual({ items: expect.any(Array), next_cursor: null });
      const found = res.body.data.items.find((i: { id: string }) => i.id === b.id);
      expect(found).toMatchObject({ id: b.id, status: 'active' });
    });

    it('suspends idempotently and resumes', async () => {
      const b = await createBusiness(t);
      const first = await t
        .http()
        .post(`/platform/v1/businesses/${b.id}/suspend`)
        .set(platform())
        .expect(200);
      expect(first.body).toMatchObject({
        success: true,
        code: null,
        data: { id: b.id, status: 'suspended' },
      });
      let [row] = await t.sql<{ status: string }>('SELECT status FROM businesses WHERE id = ?', [
        b.id,
      ]);
      expect(row.status).toBe('suspended');

      const again = await t
        .http()
        .post(`/platform/v1/businesses/${b.id}/suspend`)
        .set(platform())
        .expect(200);
      expect(again.body).toMatchObject({
        success: true,
        code: 'ALREADY_SUSPENDED',
        data: { id: b.id, status: 'suspended' },
      });

      // While suspended, the owner's token is refused.
      const refused = await me(b.ownerToken, b.id).expect(403);
      expect(refused.body.code).toBe('BUSINESS_SUSPENDED');

      const resumed = await t
        .http()
        .post(`/platform/v1/businesses/${b.id}/resume`)
        .set(platform())
        .expect(200);
      expect(resumed.body).toMatchObject({
        success: true,
        code: null,
        data: { id: b.id, status: 'active' },
      });
      [row] = await t.sql<{ status: string }>('SELECT status FROM businesses WHERE id = ?', [b.id]);
      expect(row.status).toBe('active');
      await me(b.ownerToken, b.id).expect(200);
    });

    it('answers suspend of an unknown business with 404 BUSINESS_NOT_FOUND', async () => {
      const res = await t
        .http()
        .post(`/platform/v1/businesses/${randomUUID()}/suspend`)
        .set(platform())
        .expect(404);
      expect(res.body).toMatchObject({
        success: false,
        code: 'BUSINESS_NOT_FOUND',
        request_id: expect.any(String),
      });
    });

    it('lowercases the owner email', async () => {
      const local = uniq('Owner');
      const res = await t
        .http()
        .post('/platform/v1/businesses')
        .set(platform())
        .send({ name: uniq('Case'), owner_email: `${local}@X.Test` })
        .expect(201);
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
        t
          .http()
          .post('/platform/v1/businesses')
          .set(platform())
          .send({ name: uniq('Dup'), owner_email })
          .expect(201);
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
        const res = await t
          .http()
          .post('/api/v1/members')
          .set(asMember(b.ownerToken, b.id))
          .send({ email, role })
          .expect(201);
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

        const who = await me(first_token.token, b.id).expect(200);
        expect(who.body.data).toMatchObject({ identity: { id: member.identity_id, email }, role });

        const rows = await t.sql(
          'SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?',
          [b.id, member.identity_id],
        );
        expect(rows).toEqual([{ role }]);
      },
    );

    it('honours expires_in_days for a member first token', async () => {
      const b = await createBusiness(t);
      const res = await t
        .http()
        .post('/api/v1/members')
        .set(asMember(b.ownerToken, b.id))
        .send({ email: `${uniq('m')}@example.test`, role: 'member', expires_in_days: 30 })
        .expect(201);
      expectExpiresInDays(res.body.data.first_token.expires_at, 30);
    });

    it('answers a duplicate add with 409 MEMBER_EXISTS', async () => {
      const b = await createBusiness(t);
      const m = await addMember(t, b, 'member');
      const res = await t
        .http()
        .post('/api/v1/members')
        .set(asMember(b.ownerToken, b.id))
        .send({ email: m.email, role: 'admin' })
        .expect(409);
      expect(res.body).toMatchObject({ success: false, code: 'MEMBER_EXISTS' });
      const rows = await t.sql(
        'SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?',
        [b.id, m.identityId],
      );
      expect(rows).toEqual([{ role: 'member' }]);
    });

    it('lists the people with their roles, and not machine identities', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      const member = await addMember(t, b, 'member');
      const machine = await createMachine(t, b, 'member');
      const res = await t
        .http()
        .get('/api/v1/members')
        .set(asMember(b.ownerToken, b.id))
        .expect(200);
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
      const res = await t
        .http()
        .patch(`/api/v1/members/${admin.identityId}`)
        .set(asMember(b.ownerToken, b.id))
        .send({ role: 'member' })
        .expect(200);
      expect(res.body).toMatchObject({
        success: true,
        data: { identity_id: admin.identityId, role: 'member' },
      });
      const rows = await t.sql(
        'SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?',
        [b.id, admin.identityId],
      );
      expect(rows).toEqual([{ role: 'member' }]);
      // Now a member, they may no longer list members.
      const denied = await t
        .http()
        .get('/api/v1/members')
        .set(asMember(admin.token, b.id))
        .expect(403);
      expect(denied.body.code).toBe('INSUFFICIENT_ROLE');
    });

    describe('an admin', () => {
      it('may not add an owner', async () => {
        const b = await createBusiness(t);
        const admin = await addMember(t, b, 'admin');
        const email = `${uniq('would-be-owner')}@example.test`;
        const res = await t
          .http()
          .post('/api/v1/members')
          .set(asMember(admin.token, b.id))
          .send({ email, role: 'owner' })
          .expect(403);
        expect(res.body).toMatchObject({ success: false, code: 'INSUFFICIENT_ROLE' });
        expect(await t.sql('SELECT id FROM identities WHERE email = ?', [email])).toHaveLength(0);
      });

      it('may not promote to owner', async () => {
        const b = await createBusiness(t);
        const admin = await addMember(t, b, 'admin');
        const member = await addMember(t, b, 'member');
        const res = await t
          .http()
          .patch(`/api/v1/members/${member.identityId}`)
          .set(asMember(admin.token, b.id))
          .send({ role: 'owner' })
          .expect(403);
        expect(res.body.code).toBe('INSUFFICIENT_ROLE');
        const rows = await t.sql(
          'SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?',
          [b.id, member.identityId],
        );
        expect(rows).toEqual([{ role: 'member' }]);
      });

      it('may not demote an owner', async () => {
        const b = await createBusiness(t);
        await addMember(t, b, 'owner');
        const admin = await addMember(t, b, 'admin');
        const res = await t
          .http()
          .patch(`/api/v1/members/${b.ownerId}`)
          .set(asMember(admin.token, b.id))
          .send({ role: 'member' })
          .expect(403);
        expect(res.body.code).toBe('INSUFFICIENT_ROLE');
        const rows = await t.sql(
          'SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?',
          [b.id, b.ownerId],
        );
        expect(rows).toEqual([{ role: 'owner' }]);
      });

      it('may not remove an owner', async () => {
        const b = await createBusiness(t);
        await addMember(t, b, 'owner');
        const admin = await addMember(t, b, 'admin');
        const res = await t
          .http()
          .delete(`/api/v1/members/${b.ownerId}`)
          .set(asMember(admin.token, b.id))
          .expect(403);
        expect(res.body.code).toBe('INSUFFICIENT_ROLE');
        const rows = await t.sql(
          'SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?',
          [b.id, b.ownerId],
        );
        expect(rows).toEqual([{ role: 'owner' }]);
        await me(b.ownerToken, b.id).expect(200);
      });

      it('may add and remove members', async () => {
        const b = await createBusiness(t);
        const admin = await addMember(t, b, 'admin');
        const email = `${uniq('by-admin')}@example.test`;
        const added = await t
          .http()
          .post('/api/v1/members')
          .set(asMember(admin.token, b.id))
          .send({ email, role: 'member' })
          .expect(201);
        const id = added.body.data.member.identity_id;
        await me(added.body.data.first_token.token, b.id).expect(200);

        const removed = await t
          .http()
          .delete(`/api/v1/members/${id}`)
          .set(asMember(admin.token, b.id))
          .expect(200);
        expect(removed.body).toMatchObject({
          success: true,
          data: { identity_id: id, role: 'member' },
        });
        expect(
          await t.sql('SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?', [
            b.id,
            id,
          ]),
        ).toHaveLength(0);
        await me(added.body.data.first_token.token, b.id).expect(401);
      });
    });

    it('refuses to demote the last owner with 409 LAST_OWNER', async () => {
      const b = await createBusiness(t);
      const res = await t
        .http()
        .patch(`/api/v1/members/${b.ownerId}`)
        .set(asMember(b.ownerToken, b.id))
        .send({ role: 'admin' })
        .expect(409);
      expect(res.body).toMatchObject({ success: false, code: 'LAST_OWNER' });
      const rows = await t.sql(
        'SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?',
        [b.id, b.ownerId],
      );
      expect(rows).toEqual([{ role: 'owner' }]);
    });

    it('refuses to remove the last owner with 409 LAST_OWNER', async () => {
      const b = await createBusiness(t);
      await addMember(t, b, 'admin');
      const res = await t
        .http()
        .delete(`/api/v1/members/${b.ownerId}`)
        .set(asMember(b.ownerToken, b.id))
        .expect(409);
      expect(res.body).toMatchObject({ success: false, code: 'LAST_OWNER' });
      expect(
        await t.sql('SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?', [
          b.id,
          b.ownerId,
        ]),
      ).toEqual([{ role: 'owner' }]);
      await me(b.ownerToken, b.id).expect(200);
    });

    it('lets one of two owners demote the other', async () => {
      const b = await createBusiness(t);
      const second = await addMember(t, b, 'owner');
      const res = await t
        .http()
        .patch(`/api/v1/members/${b.ownerId}`)
        .set(asMember(second.token, b.id))
        .send({ role: 'admin' })
        .expect(200);
      expect(res.body.data).toMatchObject({ identity_id: b.ownerId, role: 'admin' });
      expect(
        await t.sql('SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?', [
          b.id,
          b.ownerId,
        ]),
      ).toEqual([{ role: 'admin' }]);
      // The second owner is now the last one.
      const last = await t
        .http()
        .patch(`/api/v1/members/${second.identityId}`)
        .set(asMember(second.token, b.id))
        .send({ role: 'member' })
        .expect(409);
      expect(last.body.code).toBe('LAST_OWNER');
    });

    it('removes a member, revoking their tokens here but not in another business', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const email = `${uniq('two-homes')}@example.test`;
      const inA = await addMember(t, a, 'member', email);
      const inOther = await addMember(t, other, 'member', email);
      expect(inOther.identityId).toBe(inA.identityId);

      const res = await t
        .http()
        .delete(`/api/v1/members/${inA.identityId}`)
        .set(asMember(a.ownerToken, a.id))
        .expect(200);
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
      expect(
        await t.sql('SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?', [
          a.id,
          inA.identityId,
        ]),
      ).toHaveLength(0);
      expect((await listMembers(a)).map((m) => m.identity_id)).toEqual([a.ownerId]);
      expect((await listMembers(other)).map((m) => m.identity_id)).toContain(inA.identityId);

      const kept = await t.sql<{ revoked_at: unknown }>(
        'SELECT revoked_at FROM api_tokens WHERE business_id = ? AND identity_id = ?',
        [other.id, inA.identityId],
      );
      expect(kept).toEqual([{ revoked_at: null }]);
      expect(
        await t.sql('SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?', [
          other.id,
          inA.identityId,
        ]),
      ).toEqual([{ role: 'member' }]);

      await me(inA.token, a.id).expect(401);
      const still = await me(inOther.token, other.id).expect(200);
      expect(still.body.data).toMatchObject({ identity: { id: inA.identityId }, role: 'member' });
    });

    it.each(['patch', 'delete'] as const)(
      'answers %s of a member of another business only with 404 MEMBER_NOT_FOUND',
      async (method) => {
        const a = await createBusiness(t);
        const other = await createBusiness(t);
        const stranger = await addMember(t, other, 'member');
        const req = t
          .http()
          [method](`/api/v1/members/${stranger.identityId}`)
          .set(asMember(a.ownerToken, a.id));
        const res = await (method === 'patch' ? req.send({ role: 'admin' }) : req).expect(404);
        expect(res.body).toMatchObject({ success: false, code: 'MEMBER_NOT_FOUND' });
        expect(
          await t.sql('SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?', [
            other.id,
            stranger.identityId,
          ]),
        ).toEqual([{ role: 'member' }]);
        await me(stranger.token, other.id).expect(200);
      },
    );

    it('answers an admin acting on a member of another business with 404, never 403', async () => {
      const a = await createBusiness(t);
      const admin = await addMember(t, a, 'admin');
      const other = await createBusiness(t);
      const res = await t
        .http()
        .patch(`/api/v1/members/${other.ownerId}`)
        .set(asMember(admin.token, a.id))
        .send({ role: 'owner' })
        .expect(404);
      expect(res.body.code).toBe('MEMBER_NOT_FOUND');
      const del = await t
        .http()
        .delete(`/api/v1/members/${other.ownerId}`)
        .set(asMember(admin.token, a.id))
        .expect(404);
      expect(del.body.code).toBe('MEMBER_NOT_FOUND');
    });

    it.each(['patch', 'delete'] as const)(
      'answers %s with a malformed identity_id with 422 in the path',
      async (method) => {
        const b = await createBusiness(t);
        const req = t
          .http()
          [method]('/api/v1/members/not-a-uuid')
          .set(asMember(b.ownerToken, b.id));
        const res = await (method === 'patch' ? req.send({ role: 'admin' }) : req).expect(422);
        expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
        expect(res.body.detail[0].loc).toEqual(['path', 'identity_id']);
      },
    );

    it('answers an invalid role with 422 in the body', async () => {
      const b = await createBusiness(t);
      const m = await addMember(t, b, 'member');
      const email = `${uniq('bad-role')}@example.test`;
      const add = await t
        .http()
        .post('/api/v1/members')
        .set(asMember(b.ownerToken, b.id))
        .send({ email, role: 'superuser' })
        .expect(422);
      expect(add.body.code).toBe('VALIDATION_ERROR');
      expect(add.body.detail.map((d: { loc: string[] }) => d.loc)).toContainEqual(['body', 'role']);
      expect(await t.sql('SELECT id FROM identities WHERE email = ?', [email])).toHaveLength(0);

      const patch = await t
        .http()
        .patch(`/api/v1/members/${m.identityId}`)
        .set(asMember(b.ownerToken, b.id))
        .send({ role: 'superuser' })
        .expect(422);
      expect(patch.body.detail.map((d: { loc: string[] }) => d.loc)).toContainEqual([
        'body',
        'role',
      ]);
      expect(
        await t.sql('SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?', [
          b.id,
          m.identityId,
        ]),
      ).toEqual([{ role: 'member' }]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('machine identities', () => {
    it('creates a machine identity', async () => {
      const b = await createBusiness(t);
      const name = uniq('ci-runner');
      const res = await t
        .http()
        .post('/api/v1/machine-identities')
        .set(asMember(b.ownerToken, b.id))
        .send({ name, role: 'member' })
        .expect(201);
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
      expect(
        await t.sql('SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?', [
          b.id,
          res.body.data.id,
        ]),
      ).toEqual([{ role: 'member' }]);
    });

    it('refuses the owner role with 422 in the body', async () => {
      const b = await createBusiness(t);
      const name = uniq('boss-bot');
      const res = await t
        .http()
        .post('/api/v1/machine-identities')
        .set(asMember(b.ownerToken, b.id))
        .send({ name, role: 'owner' })
        .expect(422);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: string[] }) => d.loc)).toContainEqual(['body', 'role']);
      expect(await t.sql('SELECT id FROM identities WHERE name = ?', [name])).toHaveLength(0);
    });

    it('answers a duplicate name in the same business with 409 IDENTITY_EXISTS, but allows it elsewhere', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const name = uniq('deployer');
      await createMachine(t, a, 'member', name);
      const dup = await t
        .http()
        .post('/api/v1/machine-identities')
        .set(asMember(a.ownerToken, a.id))
        .send({ name, role: 'admin' })
        .expect(409);
      expect(dup.body).toMatchObject({ success: false, code: 'IDENTITY_EXISTS' });
      const elsewhere = await t
        .http()
        .post('/api/v1/machine-identities')
        .set(asMember(other.ownerToken, other.id))
        .send({ name, role: 'admin' })
        .expect(201);
      expect(elsewhere.body.data).toMatchObject({ name, role: 'admin' });
      const rows = await t.sql<{ business_id: string }>(
        "SELECT business_id FROM identities WHERE kind = 'machine' AND name = ?",
        [name],
      );
      expect(rows.map((r) => r.business_id).sort()).toEqual([a.id, other.id].sort());
    });

    it('answers an invalid name with 422', async () => {
      const b = await createBusiness(t);
      const res = await t
        .http()
        .post('/api/v1/machine-identities')
        .set(asMember(b.ownerToken, b.id))
        .send({ name: 'Has Spaces', role: 'member' })
        .expect(422);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: string[] }) => d.loc)).toContainEqual(['body', 'name']);
      expect(await t.sql('SELECT id FROM identities WHERE name = ?', ['Has Spaces'])).toHaveLength(
        0,
      );
    });

    it('lists machine identities', async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b, 'admin');
      const res = await t
        .http()
        .get('/api/v1/machine-identities')
        .set(asMember(b.ownerToken, b.id))
        .expect(200);
      expect(res.body).toMatchObject({ success: true, data: { next_cursor: null } });
      expect(res.body.data.items).toEqual([
        { id: machine.id, name: machine.name, role: 'admin', created_at: expect.any(String) },
      ]);
    });

    it('deletes a machine identity softly, and a second delete is 404 IDENTITY_NOT_FOUND', async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b, 'member');
      const res = await t
        .http()
        .delete(`/api/v1/machine-identities/${machine.id}`)
        .set(asMember(b.ownerToken, b.id))
        .expect(200);
      expect(res.body).toMatchObject({
        success: true,
        data: { id: machine.id, name: machine.name },
      });

      expect((await listMachines(b)).map((m) => m.id)).not.toContain(machine.id);
      const [row] = await t.sql<{ deleted_at: unknown }>(
        'SELECT deleted_at FROM identities WHERE id = ?',
        [machine.id],
      );
      expect(row.deleted_at).not.toBeNull();
      expect(
        await t.sql('SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?', [
          b.id,
          machine.id,
        ]),
      ).toHaveLength(0);

      const again = await t
        .http()
        .delete(`/api/v1/machine-identities/${machine.id}`)
        .set(asMember(b.ownerToken, b.id))
        .expect(404);
      expect(again.body).toMatchObject({ success: false, code: 'IDENTITY_NOT_FOUND' });
    });

    it("answers deleting another business's machine with 404", async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const machine = await createMachine(t, other, 'member');
      const res = await t
        .http()
        .delete(`/api/v1/machine-identities/${machine.id}`)
        .set(asMember(a.ownerToken, a.id))
        .expect(404);
      expect(res.body).toMatchObject({ success: false, code: 'IDENTITY_NOT_FOUND' });
      const [row] = await t.sql<{ deleted_at: unknown }>(
        'SELECT deleted_at FROM identities WHERE id = ?',
        [machine.id],
      );
      expect(row.deleted_at).toBeNull();
      expect((await listMachines(other)).map((m) => m.id)).toContain(machine.id);
    });

    it('answers deleting with a malformed identity_id with 422 in the path', async () => {
      const b = await createBusiness(t);
      const res = await t
        .http()
        .delete('/api/v1/machine-identities/not-a-uuid')
        .set(asMember(b.ownerToken, b.id))
        .expect(422);
      expect(res.body.detail[0].loc).toEqual(['path', 'identity_id']);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('platform admins', () => {
    const listAdmins = async (token = t.platformToken) => {
      const res = await t
        .http()
        .get('/platform/v1/admins?limit=200')
        .set(platform(token))
        .expect(200);
      return res.body.data.items as { identity_id: string; email: string }[];
    };

    /** The bootstrap admin's identity, read through GET /api/v1/me with the platform token. */
    const bootstrapAdminId = async () => {
      const b = await createBusiness(t);
      const res = await me(t.platformToken, b.id).expect(200);
      return res.body.data.identity.id as string;
    };

    it('lists the bootstrap admin', async () => {
      const id = await bootstrapAdminId();
      const res = await t.http().get('/platform/v1/admins').set(platform()).expect(200);
      expect(res.body).toMatchObject({ success: true, data: { items: expect.any(Array) } });
      expect(res.body.data.items).toContainEqual(
        expect.objectContaining({ identity_id: id, email: 'admin@latchkey.local' }),
      );
    });

    it('adds an admin whose first token is a platform token', async () => {
      const email = `${uniq('ops')}@latchkey.test`;
      const res = await t
        .http()
        .post('/platform/v1/admins')
        .set(platform())
        .send({ email })
        .expect(201);
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
      await t.http().get('/platform/v1/businesses').set(platform(first_token.token)).expect(200);
      expect((await listAdmins()).map((a) => a.identity_id)).toContain(admin.identity_id);
      const [row] = await t.sql<{ is_platform_admin: unknown }>(
        'SELECT is_platform_admin FROM identities WHERE id = ?',
        [admin.identity_id],
      );
      expect(truthy(row.is_platform_admin)).toBe(true);
    });

    it('answers adding the same admin again with 409', async () => {
      const email = `${uniq('twice')}@latchkey.test`;
      await t.http().post('/platform/v1/admins').set(platform()).send({ email }).expect(201);
      const res = await t
        .http()
        .post('/platform/v1/admins')
        .set(platform())
        .send({ email })
        .expect(409);
      expect(res.body).toMatchObject({ success: false, code: 'IDENTITY_EXISTS' });
      const tokens = await t.sql(
        'SELECT t.id FROM api_tokens t JOIN identities i ON i.id = t.identity_id WHERE i.email = ? AND t.business_id IS NULL',
        [email],
      );
      expect(tokens).toHaveLength(1);
    });

    it('removes an admin, whose platform token then gets 401', async () => {
      const email = `${uniq('leaver')}@latchkey.test`;
      const added = await t
        .http()
        .post('/platform/v1/admins')
        .set(platform())
        .send({ email })
        .expect(201);
      const { admin, first_token } = added.body.data;
      const res = await t
        .http()
        .delete(`/platform/v1/admins/${admin.identity_id}`)
        .set(platform())
        .expect(200);
      expect(res.body).toMatchObject({
        success: true,
        data: { identity_id: admin.identity_id, email },
      });

      const denied = await t
        .http()
        .get('/platform/v1/businesses')
        .set(platform(first_token.token))
        .expect(401);
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
      const res = await t
        .http()
        .delete(`/platform/v1/admins/${randomUUID()}`)
        .set(platform())
        .expect(404);
      expect(res.body.code).toBe('IDENTITY_NOT_FOUND');
    });

    it('refuses to remove the last platform admin with 409 LAST_PLATFORM_ADMIN', async () => {
      const selfId = await bootstrapAdminId();
      await t
        .http()
        .post('/platform/v1/admins')
        .set(platform())
        .send({ email: `${uniq('extra')}@latchkey.test` })
        .expect(201);
      for (const other of (await listAdmins()).filter((a) => a.identity_id !== selfId)) {
        await t
          .http()
          .delete(`/platform/v1/admins/${other.identity_id}`)
          .set(platform())
          .expect(200);
      }
      expect((await listAdmins()).map((a) => a.identity_id)).toEqual([selfId]);

      const res = await t
        .http()
        .delete(`/platform/v1/admins/${selfId}`)
        .set(platform())
        .expect(409);
      expect(res.body).toMatchObject({ success: false, code: 'LAST_PLATFORM_ADMIN' });
      const [row] = await t.sql<{ is_platform_admin: unknown }>(
        'SELECT is_platform_admin FROM identities WHERE id = ?',
        [selfId],
      );
      expect(truthy(row.is_platform_admin)).toBe(true);
      await t.http().get('/platform/v1/businesses').set(platform()).expect(200);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('GET /api/v1/me', () => {
    it('describes the caller: identity, token view, business and role', async () => {
      const b = await createBusiness(t);
      const res = await me(b.ownerToken, b.id).expect(200);
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

    it("gives a member's role", async () => {
      const b = await createBusiness(t);
      const m = await addMember(t, b, 'member');
      const res = await me(m.token, b.id).expect(200);
      expect(res.body.data).toMatchObject({
        identity: { id: m.identityId, email: m.email, kind: 'user' },
        business: { id: b.id },
        role: 'member',
      });
    });

    it('gives a null role for a platform token', async () => {
      const b = await createBusiness(t);
      const res = await me(t.platformToken, b.id).expect(200);
      expect(res.body.data).toMatchObject({
        identity: { is_platform_admin: true },
        token: { business_id: null },
        business: { id: b.id },
        role: null,
      });
    });
  });
});

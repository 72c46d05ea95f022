import { createHash } from 'node:crypto';
import { addMember, createBusiness } from '../factories/tenancy.factory';
import { asMember, asOwner, me, patchMember } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

describe.each(DRIVERS)('GET /api/v1/me on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

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

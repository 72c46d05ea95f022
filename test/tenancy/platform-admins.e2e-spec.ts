import { randomUUID } from 'node:crypto';
import { createBusiness } from '../factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asPlatform,
  listBusinesses,
  listPlatformAdmins,
  me,
  postPlatformAdmin,
  removePlatformAdmin,
} from '../harness/app/api';
import { TOKEN_RE, uniq } from './tenancy-fixtures';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

describe.each(DRIVERS)('platform admins on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

  const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 't';

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
        data: { identity_id: admin.identity_id, email, revoked_tokens: 1 },
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
});

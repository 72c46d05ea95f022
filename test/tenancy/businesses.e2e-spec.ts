import { createHash, randomUUID } from 'node:crypto';
import { createBusiness } from '../factories/tenancy.factory';
import {
  asOwner,
  asPlatform,
  listBusinesses,
  me,
  postBusiness,
  resume,
  suspend,
} from '../harness/app/api';
import { expectExpiresInDays, TOKEN_RE, uniq } from './tenancy-fixtures';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

describe.each(DRIVERS)('businesses on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

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
});

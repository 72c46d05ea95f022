import { randomUUID } from 'node:crypto';
import { hashSecret, mintSecret } from '../src/tokens/token-secret';
import { addMember, asMember, BusinessFixture, createBusiness } from './factories/tenancy.factory';
import { dbTime as dbTimeOf, expectBearerError, expectError } from './helpers/assertions';
import { bootTestApp, TestApp } from './helpers/test-app';
import { DRIVERS } from './setup/servers';

/** The same string with one character in the middle of its random part changed. */
function corrupt(secret: string): string {
  const i = Math.floor(secret.length / 2);
  const replacement = secret[i] === 'A' ? 'B' : 'A';
  return `${secret.slice(0, i)}${replacement}${secret.slice(i + 1)}`;
}

describe.each(DRIVERS)('Authentication and scoping on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // No verifier caching, so rows edited directly in SQL are seen on the next request.
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
  });
  afterAll(() => t.close());

  const platform = () => ({ authorization: `Bearer ${t.platformToken}` });

  const dbTime = (date: Date) => dbTimeOf(t.driver, date);

  const me = (token: string, businessId: string) =>
    t.http().get('/api/v1/me').set(asMember(token, businessId));

  describe('bearer token', () => {
    let biz: BusinessFixture;
    beforeAll(async () => {
      biz = await createBusiness(t);
    });

    it('accepts the owner token as a sanity check', async () => {
      await me(biz.ownerToken, biz.id).expect(200);
    });

    it('rejects a request without an Authorization header', async () => {
      const res = await t.http().get('/api/v1/me').set('x-business-id', biz.id);
      expectBearerError(res);
    });

    it('rejects a Basic Authorization header', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('authorization', 'Basic xxx')
        .set('x-business-id', biz.id);
      expectBearerError(res);
    });

    it.each(['Bearer', 'Bearer '])('rejects %j with no token', async (header) => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('authorization', header)
        .set('x-business-id', biz.id);
      expectBearerError(res);
    });

    it('rejects a token whose checksum does not match', async () => {
      const res = await me(corrupt(biz.ownerToken), biz.id);
      expectBearerError(res);
    });

    it('rejects a well-formed token that does not exist', async () => {
      const res = await me(mintSecret('lk').secret, biz.id);
      expectBearerError(res);
    });

    it('rejects a well-formed unknown token on a platform route', async () => {
      const res = await t
        .http()
        .get('/platform/v1/businesses')
        .set('authorization', `Bearer ${mintSecret('lk').secret}`);
      expectBearerError(res);
    });

    it('does not read a token from the access_token query parameter', async () => {
      const res = await t
        .http()
        .get(`/api/v1/me?access_token=${encodeURIComponent(biz.ownerToken)}`)
        .set('x-business-id', biz.id);
      expectBearerError(res);
    });

    it('does not read a token from an access_token body field', async () => {
      const res = await t
        .http()
        .post('/api/v1/members')
        .set('x-business-id', biz.id)
        .send({ access_token: biz.ownerToken, email: 'body-token@example.test', role: 'member' });
      expectBearerError(res);
    });

    it('does not read a platform token from the query string on a platform route', async () => {
      const res = await t
        .http()
        .get(`/platform/v1/businesses?access_token=${encodeURIComponent(t.platformToken)}`);
      expectBearerError(res);
    });

    it('rejects an expired token with TOKEN_EXPIRED', async () => {
      const b = await createBusiness(t);
      await t.sql('UPDATE api_tokens SET expires_at = ? WHERE token_hash = ?', [
        dbTime(new Date(Date.now() - 60_000)),
        hashSecret(b.ownerToken),
      ]);
      expectBearerError(await me(b.ownerToken, b.id), 'TOKEN_EXPIRED');
    });

    it('rejects a revoked token with TOKEN_REVOKED', async () => {
      const b = await createBusiness(t);
      await t.sql(
        'UPDATE api_tokens SET revoked_at = ?, revoked_by = ?, revocation_reason = ? WHERE token_hash = ?',
        [dbTime(new Date(Date.now() - 1_000)), 'test', 'revoked by test', hashSecret(b.ownerToken)],
      );
      expectBearerError(await me(b.ownerToken, b.id), 'TOKEN_REVOKED');
    });

    it('reports a revoked token as revoked even when it has also expired', async () => {
      const b = await createBusiness(t);
      const past = dbTime(new Date(Date.now() - 60_000));
      await t.sql('UPDATE api_tokens SET revoked_at = ?, expires_at = ? WHERE token_hash = ?', [
        past,
        past,
        hashSecret(b.ownerToken),
      ]);
      expectBearerError(await me(b.ownerToken, b.id), 'TOKEN_REVOKED');
    });
  });

  describe('business scope', () => {
    it('needs x-business-id: missing is 422 located in the header', async () => {
      const b = await createBusiness(t);
      const res = await t.http().get('/api/v1/me').set('authorization', `Bearer ${b.ownerToken}`);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail[0]).toMatchObject({
        loc: ['header', 'x-business-id'],
        type: 'missing',
      });
    });

    it.each(['not-a-uuid', '1234', `${randomUUID()}x`])(
      'answers the non-uuid x-business-id %j with 422 located in the header',
      async (header) => {
        const b = await createBusiness(t);
        const res = await me(b.ownerToken, header);
        expectError(res, 422, 'VALIDATION_ERROR');
        expect(res.body.detail[0].loc).toEqual(['header', 'x-business-id']);
      },
    );

    it('refuses a token of business A acting in business B with 403 BUSINESS_MISMATCH', async () => {
      const a = await createBusiness(t);
      const b = await createBusiness(t);
      expectError(await me(a.ownerToken, b.id), 403, 'BUSINESS_MISMATCH');
    });

    it('refuses a business token naming a business that does not exist with 403', async () => {
      const a = await createBusiness(t);
      expectError(await me(a.ownerToken, randomUUID()), 403, 'BUSINESS_MISMATCH');
    });

    it('checks the token before the header: bad token and missing header is 401', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('authorization', `Bearer ${mintSecret('lk').secret}`);
      expectBearerError(res);
    });

    it('checks the token before the header: bad token and non-uuid header is 401', async () => {
      expectBearerError(await me('garbage', 'not-a-uuid'));
    });

    it('checks the token before the business: bad token and another business is 401', async () => {
      const b = await createBusiness(t);
      expectBearerError(await me(corrupt(b.ownerToken), randomUUID()));
    });

    it('checks the header before the role: a member with no header gets 422', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const res = await t
        .http()
        .get('/api/v1/members')
        .set('authorization', `Bearer ${member.token}`);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail[0].loc).toEqual(['header', 'x-business-id']);
    });

    it('checks the business before the role: a member of A acting in B gets BUSINESS_MISMATCH', async () => {
      const a = await createBusiness(t);
      const b = await createBusiness(t);
      const member = await addMember(t, a, 'member');
      const res = await t.http().get('/api/v1/members').set(asMember(member.token, b.id));
      expectError(res, 403, 'BUSINESS_MISMATCH');
    });
  });

  describe('platform token', () => {
    it('may act in any business, with no role in it', async () => {
      const b = await createBusiness(t);
      const res = await me(t.platformToken, b.id).expect(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data.role).toBeNull();
      expect(res.body.data.identity.is_platform_admin).toBe(true);
      expect(res.body.data.token.business_id).toBeNull();
    });

    it('may use an admin route of any business', async () => {
      const b = await createBusiness(t);
      const res = await t.http().get('/api/v1/members').set(asMember(t.platformToken, b.id));
      expect(res.status).toBe(200);
      expect(res.body.data.items).toEqual(
        expect.arrayContaining([expect.objectContaining({ identity_id: b.ownerId })]),
      );
    });

    it('answers a business that does not exist with 404 BUSINESS_NOT_FOUND', async () => {
      expectError(await me(t.platformToken, randomUUID()), 404, 'BUSINESS_NOT_FOUND');
    });

    it('may use platform routes', async () => {
      const res = await t.http().get('/platform/v1/businesses').set(platform()).expect(200);
      expect(res.body.data.items).toEqual(expect.any(Array));
    });

    it('refuses a business token on a platform route with 403 PLATFORM_ADMIN_REQUIRED', async () => {
      const b = await createBusiness(t);
      const res = await t
        .http()
        .get('/platform/v1/businesses')
        .set('authorization', `Bearer ${b.ownerToken}`);
      expectError(res, 403, 'PLATFORM_ADMIN_REQUIRED');
    });

    it('refuses a business token on a platform write route before validating the body', async () => {
      const b = await createBusiness(t);
      const res = await t
        .http()
        .post('/platform/v1/businesses')
        .set('authorization', `Bearer ${b.ownerToken}`)
        .send({});
      expectError(res, 403, 'PLATFORM_ADMIN_REQUIRED');
    });
  });

  describe('suspension', () => {
    it('rejects every token of a suspended business, and accepts them again on resume', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      await me(b.ownerToken, b.id).expect(200);

      await t.http().post(`/platform/v1/businesses/${b.id}/suspend`).set(platform()).expect(200);
      expectError(await me(b.ownerToken, b.id), 403, 'BUSINESS_SUSPENDED');
      expectError(await me(member.token, b.id), 403, 'BUSINESS_SUSPENDED');

      await t.http().post(`/platform/v1/businesses/${b.id}/resume`).set(platform()).expect(200);
      await me(b.ownerToken, b.id).expect(200);
      await me(member.token, b.id).expect(200);
    });

    it('checks the token before suspension: a bad token on a suspended business is 401', async () => {
      const b = await createBusiness(t);
      await t.http().post(`/platform/v1/businesses/${b.id}/suspend`).set(platform()).expect(200);
      expectBearerError(await me(corrupt(b.ownerToken), b.id));
    });
  });

  describe('membership', () => {
    it('locks a removed member out at once and revokes their tokens', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      await me(member.token, b.id).expect(200);

      await t
        .http()
        .delete(`/api/v1/members/${member.identityId}`)
        .set(asMember(b.ownerToken, b.id))
        .expect(200);

      const res = await me(member.token, b.id);
      expect(res.status).toBe(401);
      expect(['INVALID_TOKEN', 'TOKEN_REVOKED']).toContain(res.body.code);
      expectBearerError(res, res.body.code);

      const rows = await t.sql<{ revoked_at: unknown; revocation_reason: string | null }>(
        'SELECT revoked_at, revocation_reason FROM api_tokens WHERE business_id = ? AND identity_id = ?',
        [b.id, member.identityId],
      );
      expect(rows.length).toBeGreaterThanOrEqual(1);
      for (const row of rows) {
        expect(row.revoked_at).not.toBeNull();
        expect(row.revocation_reason).toMatch(/remov/i);
      }
    });

    it('does not lock out the other members when one is removed', async () => {
      const b = await createBusiness(t);
      const stays = await addMember(t, b, 'member');
      const goes = await addMember(t, b, 'member');
      await t
        .http()
        .delete(`/api/v1/members/${goes.identityId}`)
        .set(asMember(b.ownerToken, b.id))
        .expect(200);
      await me(stays.token, b.id).expect(200);
      await me(b.ownerToken, b.id).expect(200);
    });

    it('locks out a token whose membership was deleted directly in SQL', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      await me(member.token, b.id).expect(200);

      await t.sql('DELETE FROM memberships WHERE business_id = ? AND identity_id = ?', [
        b.id,
        member.identityId,
      ]);
      // The token row itself is untouched: only the membership is gone.
      const rows = await t.sql<{ revoked_at: unknown }>(
        'SELECT revoked_at FROM api_tokens WHERE token_hash = ?',
        [hashSecret(member.token)],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].revoked_at).toBeNull();

      expectBearerError(await me(member.token, b.id), 'INVALID_TOKEN');
    });
  });

  describe('roles', () => {
    it('refuses a member on GET /api/v1/members with 403 INSUFFICIENT_ROLE', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const res = await t.http().get('/api/v1/members').set(asMember(member.token, b.id));
      expectError(res, 403, 'INSUFFICIENT_ROLE');
    });

    it('refuses a member on POST /api/v1/machine-identities with 403 INSUFFICIENT_ROLE', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const res = await t
        .http()
        .post('/api/v1/machine-identities')
        .set(asMember(member.token, b.id))
        .send({ name: 'ci-bot', role: 'member' });
      expectError(res, 403, 'INSUFFICIENT_ROLE');
    });

    it('lets an admin list the members', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      const res = await t
        .http()
        .get('/api/v1/members')
        .set(asMember(admin.token, b.id))
        .expect(200);
      const ids = res.body.data.items.map((m: { identity_id: string }) => m.identity_id);
      expect(ids).toEqual(expect.arrayContaining([b.ownerId, admin.identityId]));
    });

    it('checks the role before the body: a member posting an invalid body gets 403', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const res = await t
        .http()
        .post('/api/v1/members')
        .set(asMember(member.token, b.id))
        .send({ email: 'not-an-email', role: 'emperor', extra: true });
      expectError(res, 403, 'INSUFFICIENT_ROLE');
    });

    it('checks the role before the path: a member deleting a non-uuid gets 403', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const res = await t
        .http()
        .delete('/api/v1/members/not-a-uuid')
        .set(asMember(member.token, b.id));
      expectError(res, 403, 'INSUFFICIENT_ROLE');
    });

    it('still validates the body for an admin: 422 after the role check passes', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      const res = await t
        .http()
        .post('/api/v1/members')
        .set(asMember(admin.token, b.id))
        .send({ email: 'not-an-email', role: 'member' });
      expectError(res, 422, 'VALIDATION_ERROR');
    });
  });

  describe('scopes', () => {
    const setScopes = (token: string, scopes: string[] | null) =>
      t.sql('UPDATE api_tokens SET scopes = ? WHERE token_hash = ?', [
        scopes === null ? null : JSON.stringify(scopes),
        hashSecret(token),
      ]);

    const addPerson = (token: string, businessId: string, email: string) =>
      t
        .http()
        .post('/api/v1/members')
        .set(asMember(token, businessId))
        .send({ email, role: 'member' });

    it('refuses an admin whose token lacks members:write with 403 INSUFFICIENT_SCOPE', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      await setScopes(admin.token, ['audit:read']);
      const res = await addPerson(admin.token, b.id, `scoped-${randomUUID()}@example.test`);
      expectError(res, 403, 'INSUFFICIENT_SCOPE');
    });

    it('refuses an admin whose token has no scopes at all ([])', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      await setScopes(admin.token, []);
      const res = await addPerson(admin.token, b.id, `empty-${randomUUID()}@example.test`);
      expectError(res, 403, 'INSUFFICIENT_SCOPE');
    });

    it('lets a members:* wildcard cover members:write', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      await setScopes(admin.token, ['members:*']);
      const res = await addPerson(admin.token, b.id, `wild-${randomUUID()}@example.test`);
      expect(res.status).toBe(201);
      expect(res.body.success).toBe(true);
    });

    it('lets an exact members:write scope through', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      await setScopes(admin.token, ['members:write']);
      const res = await addPerson(admin.token, b.id, `exact-${randomUUID()}@example.test`);
      expect(res.status).toBe(201);
    });

    it('checks the role before the scope: a member with members:* still gets INSUFFICIENT_ROLE', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      await setScopes(member.token, ['members:*']);
      const res = await addPerson(member.token, b.id, `role-${randomUUID()}@example.test`);
      expectError(res, 403, 'INSUFFICIENT_ROLE');
    });

    it('checks the scope before the body: a scoped-out admin posting an invalid body gets 403', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      await setScopes(admin.token, ['audit:read']);
      const res = await t
        .http()
        .post('/api/v1/members')
        .set(asMember(admin.token, b.id))
        .send({ email: 'nope' });
      expectError(res, 403, 'INSUFFICIENT_SCOPE');
    });
  });

  describe('GET /api/v1/me', () => {
    it('describes a member: identity, token view and role, without any secret or hash', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const res = await me(member.token, b.id).expect(200);

      expect(res.body).toMatchObject({ success: true, data: expect.any(Object) });
      const data = res.body.data;
      expect(data.role).toBe('member');
      expect(data.identity).toMatchObject({
        id: member.identityId,
        kind: 'user',
        email: member.email,
        is_platform_admin: false,
      });
      expect(data.token).toMatchObject({
        preview: expect.stringMatching(/^lk_[0-9A-Za-z]{4}…[0-9A-Za-z]{4}$/),
        status: 'active',
        business_id: b.id,
        identity_id: member.identityId,
        revoked_at: null,
      });
      expect(data.token.preview).toBe(`${member.token.slice(0, 7)}…${member.token.slice(-4)}`);
      expect(data.token).not.toHaveProperty('token_hash');
      expect(data.token).not.toHaveProperty('token');

      const raw = JSON.stringify(res.body);
      expect(raw).not.toContain('token_hash');
      expect(raw).not.toMatch(/[0-9a-f]{64}/i);
      expect(raw).not.toContain(member.token);
      expect(raw).not.toContain(hashSecret(member.token));
    });

    it('names the owner role for the owner', async () => {
      const b = await createBusiness(t);
      const res = await me(b.ownerToken, b.id).expect(200);
      expect(res.body.data.role).toBe('owner');
      expect(res.body.data.identity.email).toBe(b.ownerEmail);
    });

    it('names the admin role for an admin', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      const res = await me(admin.token, b.id).expect(200);
      expect(res.body.data.role).toBe('admin');
    });
  });
});

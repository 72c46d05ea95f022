import { randomUUID } from 'node:crypto';
import passport from 'passport';
import { hashSecret, mintSecret } from '../../src/tokens/token-secret';
import { addMember, BusinessFixture, createBusiness } from '../factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  asPlatform,
  Caller,
  listBusinesses,
  listMembers,
  me,
  postBusiness,
  postMachine,
  postMember,
  removeMember,
  resume,
  suspend,
} from '../harness/app/api';
import { dbTime as dbTimeOf, expectBearerError, expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

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
  afterAll(() => t?.close());

  const dbTime = (date: Date) => dbTimeOf(t.driver, date);

  describe('bearer token', () => {
    let biz: BusinessFixture;
    beforeAll(async () => {
      biz = await createBusiness(t);
    });

    it('accepts the owner token as a sanity check', async () => {
      await me(t, asOwner(biz)).expect(200);
    });

    it('runs no passport on the global bearer check', async () => {
      const authenticate = jest.spyOn(passport, 'authenticate');
      try {
        await me(t, asOwner(biz)).expect(200);
        expect(authenticate).toHaveBeenCalledTimes(0);
      } finally {
        authenticate.mockRestore();
      }
    });

    /** The Authorization header of each credential that is not one: every one is a 401. */
    it.each([
      { title: 'rejects a request without an Authorization header', header: () => null },
      { title: 'rejects a Basic Authorization header', header: () => 'Basic xxx' },
      { title: 'rejects "Bearer" with no token', header: () => 'Bearer' },
      { title: 'rejects "Bearer " with no token', header: () => 'Bearer ' },
      {
        title: 'rejects a token whose checksum does not match',
        header: () => `Bearer ${corrupt(biz.ownerToken)}`,
      },
      {
        title: 'rejects a well-formed token that does not exist',
        header: () => `Bearer ${mintSecret('lk').secret}`,
      },
    ])('$title', async ({ header }) => {
      const authorization = header();
      const res = await me(t, {
        'x-business-id': biz.id,
        ...(authorization === null ? {} : { authorization }),
      });
      expectBearerError(res);
    });

    it('rejects a well-formed unknown token on a platform route', async () => {
      const res = await listBusinesses(t, asBearer(mintSecret('lk').secret));
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
      const res = await postMember(
        t,
        { 'x-business-id': biz.id },
        { access_token: biz.ownerToken, email: 'body-token@example.test', role: 'member' },
      );
      expectBearerError(res);
    });

    it('does not read a platform token from the query string on a platform route', async () => {
      const res = await listBusinesses(t, {}, { access_token: t.platformToken });
      expectBearerError(res);
    });

    it('rejects an expired token with TOKEN_EXPIRED', async () => {
      const b = await createBusiness(t);
      await t.sql('UPDATE api_tokens SET expires_at = ? WHERE token_hash = ?', [
        dbTime(new Date(Date.now() - 60_000)),
        hashSecret(b.ownerToken),
      ]);
      expectBearerError(await me(t, asOwner(b)), 'TOKEN_EXPIRED');
    });

    it('rejects a revoked token with TOKEN_REVOKED', async () => {
      const b = await createBusiness(t);
      await t.sql(
        'UPDATE api_tokens SET revoked_at = ?, revoked_by = ?, revocation_reason = ? WHERE token_hash = ?',
        [dbTime(new Date(Date.now() - 1_000)), 'test', 'revoked by test', hashSecret(b.ownerToken)],
      );
      expectBearerError(await me(t, asOwner(b)), 'TOKEN_REVOKED');
    });

    it('reports a revoked token as revoked even when it has also expired', async () => {
      const b = await createBusiness(t);
      const past = dbTime(new Date(Date.now() - 60_000));
      await t.sql('UPDATE api_tokens SET revoked_at = ?, expires_at = ? WHERE token_hash = ?', [
        past,
        past,
        hashSecret(b.ownerToken),
      ]);
      expectBearerError(await me(t, asOwner(b)), 'TOKEN_REVOKED');
    });
  });

  describe('business scope', () => {
    it('needs x-business-id: missing is 422 located in the header', async () => {
      const b = await createBusiness(t);
      const res = await me(t, asBearer(b.ownerToken));
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
        const res = await me(t, asMember(b.ownerToken, header));
        expectError(res, 422, 'VALIDATION_ERROR');
        expect(res.body.detail[0].loc).toEqual(['header', 'x-business-id']);
      },
    );

    it('refuses a token of business A acting in business B with 403 BUSINESS_MISMATCH', async () => {
      const a = await createBusiness(t);
      const b = await createBusiness(t);
      expectError(await me(t, asMember(a.ownerToken, b.id)), 403, 'BUSINESS_MISMATCH');
    });

    it('refuses a business token naming a business that does not exist with 403', async () => {
      const a = await createBusiness(t);
      expectError(await me(t, asMember(a.ownerToken, randomUUID())), 403, 'BUSINESS_MISMATCH');
    });

    /** A bad token is told 401 first, whatever else is wrong with the request. */
    it.each([
      {
        title: 'checks the token before the header: bad token and missing header is 401',
        caller: () => asBearer(mintSecret('lk').secret),
      },
      {
        title: 'checks the token before the header: bad token and non-uuid header is 401',
        caller: () => asMember('garbage', 'not-a-uuid'),
      },
      {
        title: 'checks the token before the business: bad token and another business is 401',
        caller: (b: BusinessFixture) => asMember(corrupt(b.ownerToken), randomUUID()),
      },
    ])('$title', async ({ caller }) => {
      const b = await createBusiness(t);
      expectBearerError(await me(t, caller(b)));
    });

    it('checks the header before the role: a member with no header gets 422', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const res = await listMembers(t, asBearer(member.token));
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail[0].loc).toEqual(['header', 'x-business-id']);
    });

    it('checks the business before the role: a member of A acting in B gets BUSINESS_MISMATCH', async () => {
      const a = await createBusiness(t);
      const b = await createBusiness(t);
      const member = await addMember(t, a, 'member');
      const res = await listMembers(t, asMember(member.token, b.id));
      expectError(res, 403, 'BUSINESS_MISMATCH');
    });
  });

  describe('platform token', () => {
    it('may act in any business, with no role in it', async () => {
      const b = await createBusiness(t);
      const res = await me(t, asMember(t.platformToken, b.id)).expect(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data.role).toBeNull();
      expect(res.body.data.identity.is_platform_admin).toBe(true);
      expect(res.body.data.token.business_id).toBeNull();
    });

    it('may use an admin route of any business', async () => {
      const b = await createBusiness(t);
      const res = await listMembers(t, asMember(t.platformToken, b.id));
      expect(res.status).toBe(200);
      expect(res.body.data.items).toEqual(
        expect.arrayContaining([expect.objectContaining({ identity_id: b.ownerId })]),
      );
    });

    it('answers a business that does not exist with 404 BUSINESS_NOT_FOUND', async () => {
      expectError(await me(t, asMember(t.platformToken, randomUUID())), 404, 'BUSINESS_NOT_FOUND');
    });

    it('may use platform routes', async () => {
      const res = await listBusinesses(t, asPlatform(t)).expect(200);
      expect(res.body.data.items).toEqual(expect.any(Array));
    });

    it.each([
      {
        title: 'refuses a business token on a platform route with 403 PLATFORM_ADMIN_REQUIRED',
        send: (as: Caller) => listBusinesses(t, as),
      },
      {
        title: 'refuses a business token on a platform write route before validating the body',
        send: (as: Caller) => postBusiness(t, as, {}),
      },
    ])('$title', async ({ send }) => {
      const b = await createBusiness(t);
      expectError(await send(asBearer(b.ownerToken)), 403, 'PLATFORM_ADMIN_REQUIRED');
    });
  });

  describe('suspension', () => {
    it('rejects every token of a suspended business, and accepts them again on resume', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      await me(t, asOwner(b)).expect(200);

      await suspend(t, b.id).expect(200);
      expectError(await me(t, asOwner(b)), 403, 'BUSINESS_SUSPENDED');
      expectError(await me(t, asMember(member.token, b.id)), 403, 'BUSINESS_SUSPENDED');

      await resume(t, b.id).expect(200);
      await me(t, asOwner(b)).expect(200);
      await me(t, asMember(member.token, b.id)).expect(200);
    });

    it('checks the token before suspension: a bad token on a suspended business is 401', async () => {
      const b = await createBusiness(t);
      await suspend(t, b.id).expect(200);
      expectBearerError(await me(t, asMember(corrupt(b.ownerToken), b.id)));
    });
  });

  describe('membership', () => {
    it('locks a removed member out at once and revokes their tokens', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      await me(t, asMember(member.token, b.id)).expect(200);

      await removeMember(t, asOwner(b), member.identityId).expect(200);

      const res = await me(t, asMember(member.token, b.id));
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
      await removeMember(t, asOwner(b), goes.identityId).expect(200);
      await me(t, asMember(stays.token, b.id)).expect(200);
      await me(t, asOwner(b)).expect(200);
    });

    it('locks out a token whose membership was deleted directly in SQL', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      await me(t, asMember(member.token, b.id)).expect(200);

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

      expectBearerError(await me(t, asMember(member.token, b.id)), 'INVALID_TOKEN');
    });
  });

  describe('roles', () => {
    /** A member on an admin route: 403 for the role, before the body or the path is read. */
    it.each([
      {
        title: 'refuses a member on GET /api/v1/members with 403 INSUFFICIENT_ROLE',
        send: (as: Caller) => listMembers(t, as),
      },
      {
        title: 'refuses a member on POST /api/v1/machine-identities with 403 INSUFFICIENT_ROLE',
        send: (as: Caller) => postMachine(t, as, { name: 'ci-bot', role: 'member' }),
      },
      {
        title: 'checks the role before the body: a member posting an invalid body gets 403',
        send: (as: Caller) =>
          postMember(t, as, { email: 'not-an-email', role: 'emperor', extra: true }),
      },
      {
        title: 'checks the role before the path: a member deleting a non-uuid gets 403',
        send: (as: Caller) => removeMember(t, as, 'not-a-uuid'),
      },
    ])('$title', async ({ send }) => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      expectError(await send(asMember(member.token, b.id)), 403, 'INSUFFICIENT_ROLE');
    });

    it('lets an admin list the members', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      const res = await listMembers(t, asMember(admin.token, b.id)).expect(200);
      const ids = res.body.data.items.map((m: { identity_id: string }) => m.identity_id);
      expect(ids).toEqual(expect.arrayContaining([b.ownerId, admin.identityId]));
    });

    it('still validates the body for an admin: 422 after the role check passes', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      const res = await postMember(t, asMember(admin.token, b.id), {
        email: 'not-an-email',
        role: 'member',
      });
      expectError(res, 422, 'VALIDATION_ERROR');
    });
  });

  describe('scopes', () => {
    const setScopes = (token: string, scopes: string[] | null) =>
      t.sql('UPDATE api_tokens SET scopes = ? WHERE token_hash = ?', [
        scopes === null ? null : JSON.stringify(scopes),
        hashSecret(token),
      ]);

    /** Adding a member needs the admin role, then a token whose scopes allow members:write. */
    it.each([
      {
        title: 'refuses an admin whose token lacks members:write with 403 INSUFFICIENT_SCOPE',
        role: 'admin',
        scopes: ['audit:read'],
        refused: 'INSUFFICIENT_SCOPE',
      },
      {
        title: 'refuses an admin whose token has no scopes at all ([])',
        role: 'admin',
        scopes: [],
        refused: 'INSUFFICIENT_SCOPE',
      },
      {
        title: 'lets a members:* wildcard cover members:write',
        role: 'admin',
        scopes: ['members:*'],
        refused: null,
      },
      {
        title: 'lets an exact members:write scope through',
        role: 'admin',
        scopes: ['members:write'],
        refused: null,
      },
      {
        title:
          'checks the role before the scope: a member with members:* still gets INSUFFICIENT_ROLE',
        role: 'member',
        scopes: ['members:*'],
        refused: 'INSUFFICIENT_ROLE',
      },
    ] as const)('$title', async ({ role, scopes, refused }) => {
      const b = await createBusiness(t);
      const person = await addMember(t, b, role);
      await setScopes(person.token, [...scopes]);
      const email = `scoped-${randomUUID()}@example.test`;
      const res = await postMember(t, asMember(person.token, b.id), { email, role: 'member' });
      if (refused !== null) {
        expectError(res, 403, refused);
        return;
      }
      expect(res.status).toBe(201);
      expect(res.body.success).toBe(true);
    });

    it('checks the scope before the body: a scoped-out admin posting an invalid body gets 403', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      await setScopes(admin.token, ['audit:read']);
      const res = await postMember(t, asMember(admin.token, b.id), { email: 'nope' });
      expectError(res, 403, 'INSUFFICIENT_SCOPE');
    });
  });

  describe('GET /api/v1/me', () => {
    it('describes a member: identity, token view and role, without any secret or hash', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const res = await me(t, asMember(member.token, b.id)).expect(200);

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

    it.each([
      { title: 'names the owner role for the owner', role: 'owner' },
      { title: 'names the admin role for an admin', role: 'admin' },
    ] as const)('$title', async ({ role }) => {
      const b = await createBusiness(t);
      const person =
        role === 'owner'
          ? { token: b.ownerToken, email: b.ownerEmail }
          : await addMember(t, b, role);
      const res = await me(t, asMember(person.token, b.id)).expect(200);
      expect(res.body.data.role).toBe(role);
      expect(res.body.data.identity.email).toBe(person.email);
    });
  });
});

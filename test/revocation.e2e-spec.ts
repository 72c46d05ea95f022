import type { Response } from 'supertest';
import { InvalidationMessage, RevocationBus } from '../src/bus/revocation-bus';
import { LastUsedWriter } from '../src/tokens/last-used-writer';
import { mintSecret } from '../src/tokens/token-secret';
import {
  addMember,
  createBusiness,
  createUnexpiringBusiness,
  createMachine,
  createToken,
  IssuedToken,
} from './factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  bulkRevoke,
  Caller,
  deleteMachine,
  deleteToken,
  getToken,
  me,
  removeMember,
  renameToken,
  revoke,
  rotate,
  selfRevoke,
  suspend,
} from './helpers/api';
import {
  dbDate,
  dbTime as dbTimeOf,
  expectBearerError,
  expectError,
  sleep,
} from './helpers/assertions';
import { tokenIdOf } from './helpers/db';
import { bootTestApp, TestApp } from './helpers/test-app';
import { DRIVERS } from './setup/servers';

const DAY_MS = 24 * 60 * 60 * 1000;
const PLATFORM_ADMIN_EMAIL = 'admin@latchkey.local';

/** A 401 for a token that was revoked in a cascade (its identity may also be gone). */
function expectCascadeRejected(res: Response): void {
  expect(res.status).toBe(401);
  expect(['TOKEN_REVOKED', 'INVALID_TOKEN']).toContain(res.body.code);
  expectBearerError(res, res.body.code);
}

/** An RFC 6749 §5.2 invalid_request answer, and nothing else. */
function expectInvalidRequest(res: Response): void {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
}

/** Asserts that a timestamp (ISO string or DB value) lies within `toleranceMs` of `expectedMs`. */
function expectNear(value: unknown, expectedMs: number, toleranceMs = 10_000): void {
  const date = dbDate(value);
  expect(date).not.toBeNull();
  expect(Math.abs((date as Date).getTime() - expectedMs)).toBeLessThan(toleranceMs);
}

const sorted = (ids: string[]) => [...ids].sort();

interface TokenRow {
  id: string;
  business_id: string | null;
  identity_id: string;
  name: string;
  scopes: unknown;
  created_at: unknown;
  expires_at: unknown;
  last_used_at: unknown;
  revoked_at: unknown;
  revoked_by: string | null;
  revoked_by_id: string | null;
  revocation_reason: string | null;
  rotated_from_id: string | null;
}

describe.each(DRIVERS)('Revocation on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // The verifier cache keeps its default TTL, so "refused at once" really tests eviction.
    // The per-IP limit of /oauth2/* is off: this suite calls it more than 60 times a minute.
    t = await bootTestApp(driver, { RATE_LIMIT_OAUTH_PER_MINUTE: '0' });
  });
  afterAll(() => t.close());

  const dbTime = (date: Date) => dbTimeOf(t.driver, date);

  const introspect = (callerToken: string, body: object | string, form = false) => {
    const req = t.http().post('/oauth2/introspect').set(asBearer(callerToken));
    return form ? req.type('form').send(body) : req.send(body);
  };

  async function tokenRow(id: string): Promise<TokenRow> {
    const rows = await t.sql<TokenRow>(
      `SELECT id, business_id, identity_id, name, scopes, created_at, expires_at, last_used_at,
              revoked_at, revoked_by, revoked_by_id, revocation_reason, rotated_from_id
         FROM api_tokens WHERE id = ?`,
      [id],
    );
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  async function expectUnrevokedInDb(id: string): Promise<void> {
    const row = await tokenRow(id);
    expect({
      revoked_at: row.revoked_at,
      revoked_by: row.revoked_by,
      revoked_by_id: row.revoked_by_id,
      revocation_reason: row.revocation_reason,
    }).toEqual({
      revoked_at: null,
      revoked_by: null,
      revoked_by_id: null,
      revocation_reason: null,
    });
  }

  async function successorsOf(id: string): Promise<number> {
    const rows = await t.sql<{ id: string }>(
      'SELECT id FROM api_tokens WHERE rotated_from_id = ?',
      [id],
    );
    return rows.length;
  }

  /** Collects what the bus publishes while `work` runs. */
  async function busMessages(work: () => Promise<void>): Promise<InvalidationMessage[]> {
    const seen: InvalidationMessage[] = [];
    const unsubscribe = t.app.get(RevocationBus).subscribe((m) => seen.push(m));
    try {
      await work();
    } finally {
      unsubscribe();
    }
    return seen;
  }

  describe('POST /api/v1/tokens/{id}/revoke', () => {
    it('answers 201 with the revoked view, stores the revocation, and refuses the token at once', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b), { name: 'ci-deploy' });
      // Used once first, so that any verifier cache holds it as active.
      await me(t, asMember(tok.secret, b.id)).expect(200);

      const before = Date.now();
      const res = await revoke(t, asOwner(b), tok.id, { reason: 'leaked in a CI log' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ success: true, code: null });
      expect(res.body.data).toMatchObject({
        id: tok.id,
        jti: tok.jti,
        name: 'ci-deploy',
        status: 'revoked',
        business_id: b.id,
        revoked_by: b.ownerEmail,
        revocation_reason: 'leaked in a CI log',
        revoked_at: expect.any(String),
      });
      expectNear(res.body.data.revoked_at, before, 5_000);
      expect(res.body.data).not.toHaveProperty('token');
      expect(JSON.stringify(res.body)).not.toContain(tok.secret);

      expectBearerError(await me(t, asMember(tok.secret, b.id)), 'TOKEN_REVOKED');

      const row = await tokenRow(tok.id);
      expect(dbDate(row.revoked_at)?.toISOString()).toBe(res.body.data.revoked_at);
      expect(row).toMatchObject({
        revoked_by: b.ownerEmail,
        revoked_by_id: b.ownerId,
        revocation_reason: 'leaked in a CI log',
      });
      // The caller's own token is untouched.
      await me(t, asOwner(b)).expect(200);
    });

    it('is idempotent: re-revoking answers 201 ALREADY_REVOKED with the original revocation', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      const member = await addMember(t, b, 'member');
      const tok = await createToken(t, asMember(member.token, b.id));
      const first = await revoke(t, asOwner(b), tok.id, { reason: 'first reason' });
      expect(first.status).toBe(201);
      expect(first.body.code).toBeNull();

      const again = await revoke(t, asMember(admin.token, b.id), tok.id, {
        reason: 'second reason',
      });
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ success: true, code: 'ALREADY_REVOKED' });
      expect(again.body.data).toMatchObject({
        id: tok.id,
        status: 'revoked',
        revoked_at: first.body.data.revoked_at,
        revoked_by: b.ownerEmail,
        revocation_reason: 'first reason',
      });

      const row = await tokenRow(tok.id);
      expect(dbDate(row.revoked_at)?.toISOString()).toBe(first.body.data.revoked_at);
      expect(row).toMatchObject({
        revoked_by: b.ownerEmail,
        revoked_by_id: b.ownerId,
        revocation_reason: 'first reason',
      });
    });

    it('refuses a reason over 500 characters with 422 and leaves the token active', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      const res = await revoke(t, asOwner(b), tok.id, { reason: 'x'.repeat(501) });
      expectError(res, 422, 'VALIDATION_ERROR');
      await expectUnrevokedInDb(tok.id);
      await me(t, asMember(tok.secret, b.id)).expect(200);

      // 500 exactly is fine.
      const ok = await revoke(t, asOwner(b), tok.id, { reason: 'y'.repeat(500) });
      expect(ok.status).toBe(201);
      expect((await tokenRow(tok.id)).revocation_reason).toBe('y'.repeat(500));
    });

    /** A caller revoking a token of their own: revoked_by names them, and the token is refused. */
    it.each([
      {
        title: 'records machine:<name> as revoked_by when a machine revokes its own token',
        who: 'machine',
      },
      { title: 'lets a member revoke their own token', who: 'member' },
      { title: 'lets an admin revoke their own token', who: 'admin' },
    ] as const)('$title', async ({ who }) => {
      const b = await createBusiness(t);
      let identity: { id: string; revokedBy: string };
      let tok: IssuedToken;
      let caller: Caller;
      if (who === 'machine') {
        const machine = await createMachine(t, b, 'member');
        identity = { id: machine.id, revokedBy: `machine:${machine.name}` };
        tok = await createToken(t, asOwner(b), { name: 'bot-token', identity_id: machine.id });
        // The machine's token revokes itself.
        caller = asMember(tok.secret, b.id);
      } else {
        const person = await addMember(t, b, who);
        identity = { id: person.identityId, revokedBy: person.email };
        caller = asMember(person.token, b.id);
        tok = await createToken(t, caller, { name: 'mine' });
      }
      expect(tok.view.identity_id).toBe(identity.id);

      const res = await revoke(t, caller, tok.id, { reason: 'retiring myself' });
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({
        id: tok.id,
        status: 'revoked',
        identity_id: identity.id,
        revoked_by: identity.revokedBy,
        revocation_reason: 'retiring myself',
      });

      const row = await tokenRow(tok.id);
      expect(row).toMatchObject({
        revoked_by: identity.revokedBy,
        revoked_by_id: identity.id,
        revocation_reason: 'retiring myself',
      });
      expect(row.revoked_at).not.toBeNull();
      expectBearerError(await me(t, asMember(tok.secret, b.id)), 'TOKEN_REVOKED');
    });
  });

  describe('DELETE /api/v1/tokens/{id}', () => {
    it('answers 200 with the same revocation, and the token is refused at once', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      await me(t, asMember(tok.secret, b.id)).expect(200);

      const res = await deleteToken(t, asOwner(b), tok.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, code: null });
      expect(res.body.data).toMatchObject({
        id: tok.id,
        status: 'revoked',
        revoked_at: expect.any(String),
        revoked_by: b.ownerEmail,
      });
      expectBearerError(await me(t, asMember(tok.secret, b.id)), 'TOKEN_REVOKED');

      const row = await tokenRow(tok.id);
      expect(dbDate(row.revoked_at)?.toISOString()).toBe(res.body.data.revoked_at);
      expect(row).toMatchObject({ revoked_by: b.ownerEmail, revoked_by_id: b.ownerId });

      const again = await deleteToken(t, asOwner(b), tok.id);
      expect(again.status).toBe(200);
      expect(again.body.code).toBe('ALREADY_REVOKED');
      expect(again.body.data.revoked_at).toBe(res.body.data.revoked_at);
    });

    it('takes an optional reason in the body', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      const res = await deleteToken(t, asOwner(b), tok.id, { reason: 'offboarding' }).expect(200);
      expect(res.body.data.revocation_reason).toBe('offboarding');
      expect((await tokenRow(tok.id)).revocation_reason).toBe('offboarding');
    });
  });

  describe('tenant isolation', () => {
    /** A token the caller may not see, on every token route: 404, and nothing changes. */
    it.each([
      {
        title: "answers 404 TOKEN_NOT_FOUND on every token route for another business's token",
        parties: async () => {
          const [a, b] = [await createBusiness(t), await createBusiness(t)];
          return { businessId: a.id, maker: asOwner(a), caller: asOwner(b) };
        },
      },
      {
        title: "answers 404 to a member acting on another member's token",
        parties: async () => {
          const b = await createBusiness(t);
          const [alice, bob] = [await addMember(t, b, 'member'), await addMember(t, b, 'member')];
          return {
            businessId: b.id,
            maker: asMember(bob.token, b.id),
            caller: asMember(alice.token, b.id),
          };
        },
      },
    ])('$title', async ({ parties }) => {
      const { businessId, maker, caller } = await parties();
      const tok = await createToken(t, maker, { name: 'a-secret' });

      const attempts: [string, () => Promise<Response>][] = [
        ['GET', () => getToken(t, caller, tok.id)],
        ['PATCH', () => renameToken(t, caller, tok.id, { name: 'pwned' })],
        ['DELETE', () => deleteToken(t, caller, tok.id)],
        ['revoke', () => revoke(t, caller, tok.id, { reason: 'cross-tenant' })],
        ['rotate', () => rotate(t, caller, tok.id, {})],
      ];
      for (const [label, attempt] of attempts) {
        const res = await attempt();
        expect({ label, status: res.status, code: res.body.code }).toEqual({
          label,
          status: 404,
          code: 'TOKEN_NOT_FOUND',
        });
        expectError(res, 404, 'TOKEN_NOT_FOUND');
        expect(JSON.stringify(res.body)).not.toContain('a-secret');
      }

      await expectUnrevokedInDb(tok.id);
      const row = await tokenRow(tok.id);
      expect(row.name).toBe('a-secret');
      expect(await successorsOf(tok.id)).toBe(0);
      await me(t, asMember(tok.secret, businessId)).expect(200);
    });
  });

  describe('concurrent revocation', () => {
    it('keeps exactly one revocation when 20 revokes race', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      const reasons = Array.from({ length: 20 }, (_, i) => `race reason ${i}`);

      const responses = await Promise.all(
        reasons.map((reason) => revoke(t, asOwner(b), tok.id, { reason })),
      );

      expect(responses.map((r) => r.status)).toEqual(reasons.map(() => 201));
      const revokedAts = new Set(responses.map((r) => r.body.data.revoked_at));
      const storedReasons = new Set(responses.map((r) => r.body.data.revocation_reason));
      expect(revokedAts.size).toBe(1);
      expect(storedReasons.size).toBe(1);
      const codes = responses.map((r) => r.body.code);
      expect(codes.filter((c) => c === 'ALREADY_REVOKED')).toHaveLength(19);
      expect(codes.filter((c) => c === null)).toHaveLength(1);

      // The winner's reason is the one that stands.
      const winner = responses.find((r) => r.body.code === null) as Response;
      const reason = winner.body.data.revocation_reason as string;
      expect(reasons).toContain(reason);
      expect([...storedReasons]).toEqual([reason]);

      const rows = await t.sql<{ revocation_reason: string; revoked_at: unknown }>(
        'SELECT DISTINCT revocation_reason, revoked_at FROM api_tokens WHERE id = ?',
        [tok.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].revocation_reason).toBe(reason);
      expect(dbDate(rows[0].revoked_at)?.toISOString()).toBe([...revokedAts][0]);
    });
  });

  describe('POST /api/v1/tokens/self/revoke', () => {
    it('revokes the calling token with 201, and it is refused at once', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b), { name: 'outgoing' });
      await me(t, asMember(tok.secret, b.id)).expect(200);

      const res = await selfRevoke(t, asMember(tok.secret, b.id), { reason: 'rotation done' });
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({
        id: tok.id,
        status: 'revoked',
        revoked_by: b.ownerEmail,
        revocation_reason: 'rotation done',
      });

      expectBearerError(await me(t, asMember(tok.secret, b.id)), 'TOKEN_REVOKED');
      const row = await tokenRow(tok.id);
      expect(row.revoked_at).not.toBeNull();
      expect(row.revocation_reason).toBe('rotation done');
      // Only the calling token: the owner's first token still works.
      await me(t, asOwner(b)).expect(200);
      await expectUnrevokedInDb(await tokenIdOf(t, b.ownerToken));
    });
  });

  describe('POST /platform/v1/tokens/revoke (by value)', () => {
    const revokeByValue = (body: object, token = t.platformToken) =>
      t.http().post('/platform/v1/tokens/revoke').set(asBearer(token)).send(body);

    it('revokes by value with 201, then answers ALREADY_REVOKED keeping the original', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      await me(t, asMember(tok.secret, b.id)).expect(200);

      const res = await revokeByValue({ token: tok.secret, reason: 'found on pastebin' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ success: true, code: null });
      expect(res.body.data).toMatchObject({
        id: tok.id,
        status: 'revoked',
        business_id: b.id,
        revoked_by: PLATFORM_ADMIN_EMAIL,
        revocation_reason: 'found on pastebin',
      });
      expect(JSON.stringify(res.body)).not.toContain(tok.secret);
      expectBearerError(await me(t, asMember(tok.secret, b.id)), 'TOKEN_REVOKED');

      const again = await revokeByValue({ token: tok.secret, reason: 'second time' });
      expect(again.status).toBe(201);
      expect(again.body.code).toBe('ALREADY_REVOKED');
      expect(again.body.data).toMatchObject({
        revoked_at: res.body.data.revoked_at,
        revocation_reason: 'found on pastebin',
      });

      const row = await tokenRow(tok.id);
      expect(dbDate(row.revoked_at)?.toISOString()).toBe(res.body.data.revoked_at);
      expect(row).toMatchObject({
        revoked_by: PLATFORM_ADMIN_EMAIL,
        revocation_reason: 'found on pastebin',
      });
    });

    it.each([
      ['a well-formed unknown token', () => mintSecret('lk').secret],
      ['a malformed string', () => 'lk_not-a-real-token-at-all'],
    ])('answers %s with 422 INVALID_TOKEN, without echoing it', async (_label, make) => {
      const secret = make();
      const res = await revokeByValue({ token: secret, reason: 'x' });
      expectError(res, 422, 'INVALID_TOKEN', expect.anything());
      expect(res.body.message).toBe('invalid token');
      expect(JSON.stringify(res.body)).not.toContain(secret);
    });

    it('refuses a business token with 403, and revokes nothing', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      const res = await revokeByValue({ token: tok.secret, reason: 'x' }, b.ownerToken);
      expect(res.status).toBe(403);
      expect(res.body.success).toBe(false);
      expect(JSON.stringify(res.body)).not.toContain(tok.secret);
      await expectUnrevokedInDb(tok.id);
    });
  });

  describe('POST /oauth2/revoke (RFC 7009)', () => {
    const oauthRevoke = () => t.http().post('/oauth2/revoke');

    it('revokes a form-encoded token with 200, without caller authentication', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      await me(t, asMember(tok.secret, b.id)).expect(200);

      const res = await oauthRevoke().type('form').send({ token: tok.secret });
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body ?? {})).not.toContain(tok.secret);
      expectBearerError(await me(t, asMember(tok.secret, b.id)), 'TOKEN_REVOKED');
      const row = await tokenRow(tok.id);
      expect(row.revoked_at).not.toBeNull();
      expect(row.revoked_by).toEqual(expect.any(String));
    });

    it('revokes a JSON token with 200', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      const res = await oauthRevoke().send({ token: tok.secret });
      expect(res.status).toBe(200);
      expectBearerError(await me(t, asMember(tok.secret, b.id)), 'TOKEN_REVOKED');
      expect((await tokenRow(tok.id)).revoked_at).not.toBeNull();
    });

    it('accepts token_type_hint', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      const res = await oauthRevoke()
        .type('form')
        .send({ token: tok.secret, token_type_hint: 'access_token' });
      expect(res.status).toBe(200);
      expectBearerError(await me(t, asMember(tok.secret, b.id)), 'TOKEN_REVOKED');

      const tok2 = await createToken(t, asOwner(b));
      const res2 = await oauthRevoke().send({
        token: tok2.secret,
        token_type_hint: 'refresh_token',
      });
      expect(res2.status).toBe(200);
      expect((await tokenRow(tok2.id)).revoked_at).not.toBeNull();
    });

    it.each([
      ['a well-formed unknown token', () => mintSecret('lk').secret],
      ['a malformed string', () => 'definitely-not-a-token'],
    ])('answers 200 for %s', async (_label, make) => {
      const res = await oauthRevoke().type('form').send({ token: make() });
      expect(res.status).toBe(200);
    });

    it('answers 200 for an already revoked token and keeps the original revocation', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      const first = await revoke(t, asOwner(b), tok.id, { reason: 'original' });
      expect(first.status).toBe(201);
      const before = await tokenRow(tok.id);

      const res = await oauthRevoke().send({ token: tok.secret });
      expect(res.status).toBe(200);
      const after = await tokenRow(tok.id);
      expect(dbDate(after.revoked_at)?.toISOString()).toBe(first.body.data.revoked_at);
      expect(after).toMatchObject({
        revoked_by: before.revoked_by,
        revoked_by_id: before.revoked_by_id,
        revocation_reason: 'original',
      });
    });

    it('answers a missing token with 400 invalid_request', async () => {
      expectInvalidRequest(await oauthRevoke().send({}));
      expectInvalidRequest(
        await oauthRevoke().type('form').send({ token_type_hint: 'access_token' }),
      );
      expectInvalidRequest(await oauthRevoke().send({ token: '' }));
    });
  });

  describe('POST /oauth2/introspect (RFC 7662)', () => {
    it('refuses a caller without the introspect scope with 403 INSUFFICIENT_SCOPE', async () => {
      const b = await createBusiness(t);
      const caller = await createToken(t, asOwner(b), { scopes: ['deploy:read'] });
      const target = await createToken(t, asOwner(b));
      const res = await introspect(caller.secret, { token: target.secret });
      expect({ status: res.status, error: res.body.error as unknown }).toEqual({
        status: 403,
        error: 'insufficient_scope',
      });
    });

    it('describes an active scoped token of the same business', async () => {
      const b = await createUnexpiringBusiness(t);
      const target = await createToken(t, asOwner(b), {
        scopes: ['a:b', 'c:d'],
        expires_in_days: 30,
      });
      for (const form of [false, true]) {
        const res = await introspect(b.ownerToken, { token: target.secret }, form);
        expect(res.status).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body).toEqual({
          active: true,
          scope: 'a:b c:d',
          sub: b.ownerId,
          business_id: b.id,
          exp: Math.floor(Date.parse(target.view.expires_at as string) / 1000),
          iat: Math.floor(Date.parse(target.view.created_at) / 1000),
          jti: target.jti,
          token_type: 'Bearer',
        });
        expect(JSON.stringify(res.body)).not.toContain(target.secret);
      }
    });

    it("gives a machine token's identity as sub, and exp null for a token with no expiry", async () => {
      const b = await createUnexpiringBusiness(t);
      const machine = await createMachine(t, b, 'member');
      const target = await createToken(t, asOwner(b), {
        identity_id: machine.id,
        scopes: ['deploy:write'],
      });
      const res = await introspect(b.ownerToken, { token: target.secret });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        active: true,
        scope: 'deploy:write',
        sub: machine.id,
        business_id: b.id,
        exp: null,
        jti: target.jti,
        token_type: 'Bearer',
      });
    });

    it('lets a token with the introspect scope introspect', async () => {
      const b = await createBusiness(t);
      const caller = await createToken(t, asOwner(b), { scopes: ['introspect'] });
      const target = await createToken(t, asOwner(b));
      const res = await introspect(caller.secret, { token: target.secret });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ active: true, jti: target.jti });
    });

    it('answers exactly {active:false} for revoked, expired, unknown and foreign tokens', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);

      const revoked = await createToken(t, asOwner(a));
      expect((await revoke(t, asOwner(a), revoked.id, { reason: 'gone' })).status).toBe(201);

      // Never used, so no cache holds it: its expiry is set in the past directly.
      const expired = await createToken(t, asOwner(a));
      await t.sql('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
        dbTime(new Date(Date.now() - 60_000)),
        expired.id,
      ]);

      const foreign = await createToken(t, asOwner(other));

      const cases: [string, string][] = [
        ['revoked', revoked.secret],
        ['expired', expired.secret],
        ['unknown', mintSecret('lk').secret],
        ['malformed', 'not-a-token'],
        ['foreign', foreign.secret],
      ];
      for (const [label, secret] of cases) {
        const res = await introspect(a.ownerToken, { token: secret });
        expect({ label, status: res.status, body: res.body }).toEqual({
          label,
          status: 200,
          body: { active: false },
        });
        expect(res.headers['cache-control']).toBe('no-store');
      }
      // The foreign token is still active in its own business.
      const own = await introspect(other.ownerToken, { token: foreign.secret });
      expect(own.body.active).toBe(true);
    });

    it('answers {active:false} for a token of a suspended business', async () => {
      const b = await createBusiness(t);
      const target = await createToken(t, asOwner(b), { scopes: ['a:b'] });
      const before = await introspect(t.platformToken, { token: target.secret });
      expect(before.status).toBe(200);
      expect(before.body).toMatchObject({ active: true, business_id: b.id });

      await suspend(t, b.id).expect(200);
      const res = await introspect(t.platformToken, { token: target.secret });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ active: false });
    });

    it('answers a missing token with 400 invalid_request', async () => {
      const b = await createBusiness(t);
      expectInvalidRequest(await introspect(b.ownerToken, {}));
      expectInvalidRequest(
        await introspect(b.ownerToken, { token_type_hint: 'access_token' }, true),
      );
    });
  });

  describe('POST /api/v1/tokens/{id}/rotate', () => {
    it('with no grace, issues a successor and revokes the old token with reason "rotated"', async () => {
      const b = await createUnexpiringBusiness(t);
      const old = await createToken(t, asOwner(b), {
        name: 'deployer',
        scopes: ['a:b', 'c:d'],
        expires_in_days: 10,
      });
      await me(t, asMember(old.secret, b.id)).expect(200);

      const res = await rotate(t, asOwner(b), old.id, { grace_period_seconds: 0 });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const next = res.body.data;
      expect(next).toMatchObject({
        token: expect.stringMatching(/^lk_[0-9A-Za-z]{36}$/),
        id: expect.any(String),
        name: 'deployer',
        scopes: ['a:b', 'c:d'],
        status: 'active',
        business_id: b.id,
        identity_id: b.ownerId,
        rotated_from_id: old.id,
        revoked_at: null,
      });
      expect(next.id).not.toBe(old.id);
      expect(next.token).not.toBe(old.secret);
      expectNear(next.expires_at, Date.now() + 10 * DAY_MS);

      await me(t, asMember(next.token, b.id)).expect(200);
      expectBearerError(await me(t, asMember(old.secret, b.id)), 'TOKEN_REVOKED');

      const oldRow = await tokenRow(old.id);
      expect(oldRow.revoked_at).not.toBeNull();
      expect(oldRow.revocation_reason).toBe('rotated');
      expect(oldRow.revoked_by).toBe(b.ownerEmail);
      const newRow = await tokenRow(next.id);
      expect(newRow.rotated_from_id).toBe(old.id);
      expect(newRow.name).toBe('deployer');
      expect(newRow.revoked_at).toBeNull();
      expectNear(newRow.expires_at, Date.now() + 10 * DAY_MS);
    });

    it('keeps a token with no expiry unexpiring by default', async () => {
      const b = await createUnexpiringBusiness(t);
      const old = await createToken(t, asOwner(b), { name: 'forever' });
      const res = await rotate(t, asOwner(b), old.id);
      expect(res.status).toBe(201);
      expect(res.body.data.expires_at).toBeNull();
      expect((await tokenRow(res.body.data.id)).expires_at).toBeNull();
      expect((await tokenRow(old.id)).revocation_reason).toBe('rotated');
    });

    it('with a grace period, keeps the old token working until it ends, then TOKEN_EXPIRED', async () => {
      const b = await createUnexpiringBusiness(t);
      const old = await createToken(t, asOwner(b), { expires_in_days: 30 });
      await me(t, asMember(old.secret, b.id)).expect(200);

      const before = Date.now();
      const res = await rotate(t, asOwner(b), old.id, { grace_period_seconds: 2 });
      expect(res.status).toBe(201);
      const next = res.body.data;
      expect(next.rotated_from_id).toBe(old.id);

      await me(t, asMember(old.secret, b.id)).expect(200);
      await me(t, asMember(next.token, b.id)).expect(200);

      const oldRow = await tokenRow(old.id);
      expect(oldRow.revoked_at).toBeNull();
      const graceEnd = dbDate(oldRow.expires_at) as Date;
      expectNear(graceEnd, before + 2_000, 1_500);

      // Bounded wait: until half a second past the end of the grace period, at most 3.5 s.
      await sleep(Math.min(3_500, Math.max(0, graceEnd.getTime() - Date.now() + 500)));
      expectBearerError(await me(t, asMember(old.secret, b.id)), 'TOKEN_EXPIRED');
      await me(t, asMember(next.token, b.id)).expect(200);
    });

    it('answers 409 TOKEN_NOT_ACTIVE for a revoked or expired token', async () => {
      const b = await createBusiness(t);
      const revoked = await createToken(t, asOwner(b));
      expect((await revoke(t, asOwner(b), revoked.id, { reason: 'x' })).status).toBe(201);
      expectError(await rotate(t, asOwner(b), revoked.id), 409, 'TOKEN_NOT_ACTIVE');
      expect(await successorsOf(revoked.id)).toBe(0);

      const expired = await createToken(t, asOwner(b));
      await t.sql('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
        dbTime(new Date(Date.now() - 60_000)),
        expired.id,
      ]);
      expectError(await rotate(t, asOwner(b), expired.id), 409, 'TOKEN_NOT_ACTIVE');
      expect(await successorsOf(expired.id)).toBe(0);
    });

    it.each([604801, -1, 1.5, 'ten'])(
      'refuses grace_period_seconds %j with 422 and changes nothing',
      async (grace) => {
        const b = await createBusiness(t);
        const old = await createToken(t, asOwner(b), { expires_in_days: 5 });
        const before = await tokenRow(old.id);
        const res = await rotate(t, asOwner(b), old.id, { grace_period_seconds: grace });
        expectError(res, 422, 'VALIDATION_ERROR');
        expect(res.body.detail[0].loc).toEqual(['body', 'grace_period_seconds']);
        await expectUnrevokedInDb(old.id);
        expect(dbDate((await tokenRow(old.id)).expires_at)?.getTime()).toBe(
          dbDate(before.expires_at)?.getTime(),
        );
        expect(await successorsOf(old.id)).toBe(0);
      },
    );

    it('accepts the maximum grace period of 604800 seconds', async () => {
      const b = await createUnexpiringBusiness(t);
      const old = await createToken(t, asOwner(b), { expires_in_days: 30 });
      const res = await rotate(t, asOwner(b), old.id, { grace_period_seconds: 604800 });
      expect(res.status).toBe(201);
      expectNear((await tokenRow(old.id)).expires_at, Date.now() + 7 * DAY_MS);
    });

    it('refuses with 403 SCOPE_ESCALATION when the caller may not grant the scopes', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const target = await createToken(t, asMember(member.token, b.id), {
        name: 'ab',
        scopes: ['a:b'],
      });
      const caller = await createToken(t, asMember(member.token, b.id), {
        name: 'cd',
        scopes: ['c:d'],
      });

      const res = await rotate(t, asMember(caller.secret, b.id), target.id);
      expectError(res, 403, 'SCOPE_ESCALATION');
      await expectUnrevokedInDb(target.id);
      expect(await successorsOf(target.id)).toBe(0);
      await me(t, asMember(target.secret, b.id)).expect(200);
    });
  });

  describe('POST /api/v1/tokens/bulk-revoke', () => {
    it('refuses a body with no filter with 422', async () => {
      const b = await createBusiness(t);
      const res = await bulkRevoke(t, asOwner(b), { reason: 'no filter' });
      expectError(res, 422, 'VALIDATION_ERROR');
      await expectUnrevokedInDb(await tokenIdOf(t, b.ownerToken));
    });

    it('refuses a missing reason with 422', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      const res = await bulkRevoke(t, asOwner(b), { identity_id: b.ownerId });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: unknown[] }) => d.loc)).toContainEqual([
        'body',
        'reason',
      ]);
      await expectUnrevokedInDb(tok.id);
    });

    it('refuses a member with 403 INSUFFICIENT_ROLE', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const res = await bulkRevoke(t, asMember(member.token, b.id), {
        all: true,
        reason: 'takeover',
      });
      expectError(res, 403, 'INSUFFICIENT_ROLE');
      await expectUnrevokedInDb(await tokenIdOf(t, b.ownerToken));
      await expectUnrevokedInDb(await tokenIdOf(t, member.token));
    });

    it('with dry_run, counts the matches and revokes nothing', async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b, 'member');
      const m1 = await createToken(t, asOwner(b), { identity_id: machine.id });
      const m2 = await createToken(t, asOwner(b), { identity_id: machine.id });

      const res = await bulkRevoke(t, asOwner(b), {
        identity_id: machine.id,
        reason: 'dry',
        dry_run: true,
      });
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data).toEqual({ matched: 2, revoked: 0, token_ids: expect.any(Array) });
      expect(sorted(res.body.data.token_ids)).toEqual(sorted([m1.id, m2.id]));
      await expectUnrevokedInDb(m1.id);
      await expectUnrevokedInDb(m2.id);
      await me(t, asMember(m1.secret, b.id)).expect(200);
    });

    it("by identity_id, revokes exactly that identity's unrevoked tokens", async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const machine = await createMachine(t, a, 'member');
      const m1 = await createToken(t, asOwner(a), { identity_id: machine.id });
      const m2 = await createToken(t, asOwner(a), { identity_id: machine.id });
      const already = await createToken(t, asOwner(a), { identity_id: machine.id });
      expect((await revoke(t, asOwner(a), already.id, { reason: 'earlier' })).status).toBe(201);
      const ownerExtra = await createToken(t, asOwner(a));
      const foreign = await createToken(t, asOwner(other));

      const res = await bulkRevoke(t, asOwner(a), {
        identity_id: machine.id,
        reason: 'machine compromised',
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ matched: 2, revoked: 2, token_ids: expect.any(Array) });
      expect(sorted(res.body.data.token_ids)).toEqual(sorted([m1.id, m2.id]));

      for (const tok of [m1, m2]) {
        const row = await tokenRow(tok.id);
        expect(row.revoked_at).not.toBeNull();
        expect(row).toMatchObject({
          revocation_reason: 'machine compromised',
          revoked_by: a.ownerEmail,
          revoked_by_id: a.ownerId,
        });
        expectBearerError(await me(t, asMember(tok.secret, a.id)), 'TOKEN_REVOKED');
      }
      expect((await tokenRow(already.id)).revocation_reason).toBe('earlier');
      await expectUnrevokedInDb(ownerExtra.id);
      await expectUnrevokedInDb(await tokenIdOf(t, a.ownerToken));
      await expectUnrevokedInDb(foreign.id);
    });

    it('by scope, matches tokens whose scopes grant it, never unrestricted ones', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const wildcard = await createToken(t, asOwner(a), { scopes: ['deploy:*'] });
      const exact = await createToken(t, asOwner(a), { scopes: ['x:y', 'deploy:write'] });
      const narrower = await createToken(t, asOwner(a), { scopes: ['deploy:read'] });
      const empty = await createToken(t, asOwner(a), { scopes: [] });
      const unrestricted = await createToken(t, asOwner(a));
      const foreign = await createToken(t, asOwner(other), { scopes: ['deploy:*'] });

      const dry = await bulkRevoke(t, asOwner(a), {
        scope: 'deploy:write',
        reason: 'deploy key leak',
        dry_run: true,
      });
      expect(dry.status).toBe(200);
      expect(dry.body.data.matched).toBe(2);
      expect(dry.body.data.revoked).toBe(0);

      const res = await bulkRevoke(t, asOwner(a), {
        scope: 'deploy:write',
        reason: 'deploy key leak',
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ matched: 2, revoked: 2, token_ids: expect.any(Array) });
      expect(sorted(res.body.data.token_ids)).toEqual(sorted([wildcard.id, exact.id]));

      for (const tok of [wildcard, exact]) {
        expect((await tokenRow(tok.id)).revocation_reason).toBe('deploy key leak');
      }
      for (const tok of [narrower, empty, unrestricted, foreign]) await expectUnrevokedInDb(tok.id);
      await expectUnrevokedInDb(await tokenIdOf(t, a.ownerToken));
    });

    it('by created_before, revokes only tokens created before the cut-off', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const member = await addMember(t, a, 'member');
      const early = await createToken(t, asOwner(a), { name: 'early' });
      const foreignEarly = await createToken(t, asOwner(other));
      await sleep(50);
      const cutoff = new Date();
      await sleep(50);
      const caller = await createToken(t, asOwner(a), { name: 'caller' });
      const late = await createToken(t, asOwner(a), { name: 'late' });

      const expected = [
        early.id,
        await tokenIdOf(t, a.ownerToken),
        await tokenIdOf(t, member.token),
      ];
      const res = await bulkRevoke(t, asMember(caller.secret, a.id), {
        created_before: cutoff.toISOString(),
        reason: 'before the incident fix',
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ matched: 3, revoked: 3, token_ids: expect.any(Array) });
      expect(sorted(res.body.data.token_ids)).toEqual(sorted(expected));

      for (const id of expected) {
        const row = await tokenRow(id);
        expect(row.revoked_at).not.toBeNull();
        expect(row.revocation_reason).toBe('before the incident fix');
      }
      await expectUnrevokedInDb(caller.id);
      await expectUnrevokedInDb(late.id);
      await expectUnrevokedInDb(foreignEarly.id);
      await expectUnrevokedInDb(await tokenIdOf(t, other.ownerToken));
      await me(t, asMember(caller.secret, a.id)).expect(200);
      expectBearerError(await me(t, asMember(early.secret, a.id)), 'TOKEN_REVOKED');
    });

    it('with all: true, revokes every token of the business and none of another', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const t1 = await createToken(t, asOwner(a));
      const foreign = await createToken(t, asOwner(other));
      const ownerId = await tokenIdOf(t, a.ownerToken);

      const res = await bulkRevoke(t, asOwner(a), { all: true, reason: 'full reset' });
      expect(res.status).toBe(200);
      expect(sorted(res.body.data.token_ids)).toEqual(sorted([t1.id, ownerId]));
      expect(res.body.data).toMatchObject({ matched: 2, revoked: 2 });
      expect((await tokenRow(t1.id)).revocation_reason).toBe('full reset');
      await expectUnrevokedInDb(foreign.id);
      await expectUnrevokedInDb(await tokenIdOf(t, other.ownerToken));
      await me(t, asOwner(other)).expect(200);
    });
  });

  describe('cascades', () => {
    it("DELETE /machine-identities/{id} revokes the machine's tokens", async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b, 'member');
      const m1 = await createToken(t, asOwner(b), { identity_id: machine.id });
      const m2 = await createToken(t, asOwner(b), { identity_id: machine.id });
      const ownerExtra = await createToken(t, asOwner(b));
      await me(t, asMember(m1.secret, b.id)).expect(200);

      await deleteMachine(t, asOwner(b), machine.id).expect(200);

      for (const tok of [m1, m2]) {
        const row = await tokenRow(tok.id);
        expect(row.revoked_at).not.toBeNull();
        expect(row.revocation_reason).toMatch(/delet/i);
        expect(row.revoked_by).toBe(b.ownerEmail);
        expectCascadeRejected(await me(t, asMember(tok.secret, b.id)));
      }
      await expectUnrevokedInDb(ownerExtra.id);
      await me(t, asMember(ownerExtra.secret, b.id)).expect(200);
    });

    it("DELETE /members/{id} revokes the member's tokens", async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const own = await createToken(t, asMember(member.token, b.id), { name: 'member-made' });
      const stays = await addMember(t, b, 'member');
      await me(t, asMember(own.secret, b.id)).expect(200);

      await removeMember(t, asOwner(b), member.identityId).expect(200);

      const rows = await t.sql<{ id: string; revoked_at: unknown; revocation_reason: string }>(
        'SELECT id, revoked_at, revocation_reason FROM api_tokens WHERE business_id = ? AND identity_id = ?',
        [b.id, member.identityId],
      );
      expect(sorted(rows.map((r) => r.id))).toEqual(
        sorted([own.id, await tokenIdOf(t, member.token)]),
      );
      for (const row of rows) {
        expect(row.revoked_at).not.toBeNull();
        expect(row.revocation_reason).toEqual(expect.any(String));
      }
      expectCascadeRejected(await me(t, asMember(own.secret, b.id)));
      expectCascadeRejected(await me(t, asMember(member.token, b.id)));
      await expectUnrevokedInDb(await tokenIdOf(t, stays.token));
      await me(t, asMember(stays.token, b.id)).expect(200);
    });
  });

  describe('revocation bus', () => {
    it('publishes token.changed with the jti after a revoke', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      const seen = await busMessages(async () => {
        const res = await revoke(t, asOwner(b), tok.id, { reason: 'bus' });
        expect(res.status).toBe(201);
      });
      expect(seen).toEqual([{ type: 'token.changed', business_id: b.id, jti: tok.jti }]);
      expect(JSON.stringify(seen)).not.toContain(tok.secret);
    });

    it('publishes nothing for an idempotent re-revoke', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      expect((await revoke(t, asOwner(b), tok.id, { reason: 'first' })).status).toBe(201);
      const seen = await busMessages(async () => {
        const res = await revoke(t, asOwner(b), tok.id, { reason: 'again' });
        expect(res.body.code).toBe('ALREADY_REVOKED');
      });
      expect(seen).toEqual([]);
    });

    it('publishes business.changed on suspend', async () => {
      const b = await createBusiness(t);
      const seen = await busMessages(async () => {
        await suspend(t, b.id).expect(200);
      });
      expect(seen).toEqual([{ type: 'business.changed', business_id: b.id }]);
    });

    it('publishes nothing for a failed revoke', async () => {
      const a = await createBusiness(t);
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(a));
      const seen = await busMessages(async () => {
        expectError(await revoke(t, asOwner(b), tok.id, { reason: 'x' }), 404, 'TOKEN_NOT_FOUND');
      });
      expect(seen).toEqual([]);
    });
  });

  describe('last_used_at', () => {
    it('is written off the request path, on flush, for a used token only', async () => {
      const b = await createBusiness(t);
      const used = await createToken(t, asOwner(b), { name: 'used' });
      const unused = await createToken(t, asOwner(b), { name: 'unused' });
      expect((await tokenRow(used.id)).last_used_at).toBeNull();

      const before = Date.now();
      await me(t, asMember(used.secret, b.id)).expect(200);
      await t.app.get(LastUsedWriter).flush();

      const row = await tokenRow(used.id);
      expect(row.last_used_at).not.toBeNull();
      expectNear(row.last_used_at, before, 10_000);
      expect((await tokenRow(unused.id)).last_used_at).toBeNull();

      const view = await getToken(t, asOwner(b), used.id).expect(200);
      expect(view.body.data.last_used_at).toEqual(expect.any(String));
    });
  });
});

import type { Response } from 'supertest';
import { InvalidationMessage, RevocationBus } from '../../src/bus/revocation-bus';
import { mintSecret } from '../../src/tokens/token-secret';
import {
  addMember,
  createBusiness,
  createMachine,
  createToken,
  IssuedToken,
} from '../factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  Caller,
  deleteToken,
  getToken,
  me,
  renameToken,
  revoke,
  rotate,
  selfRevoke,
  suspend,
} from '../harness/app/api';
import { dbDate, expectBearerError, expectError } from '../harness/app/assertions';
import { tokenIdOf } from '../harness/app/db';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { expectInvalidRequest, expectNear, tokenRows } from '../harness/app/token-checks';
import { DRIVERS } from '../setup/servers';

const PLATFORM_ADMIN_EMAIL = 'admin@latchkey.local';

/**
 * Revoking one token, by id, by value or by itself (RFC 7009 included), and what a revocation
 * tells the other instances. Many at once: bulk-revocation.e2e-spec.ts; rotation, introspection
 * and last use have specs of their own.
 */
describe.each(DRIVERS)('Revocation on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // The verifier cache keeps its default TTL, so "refused at once" really tests eviction.
    // The per-IP limit of /oauth2/* is off, so that no count of calls here trips it.
    t = await bootTestApp(driver, { RATE_LIMIT_OAUTH_PER_MINUTE: '0' });
  });
  afterAll(() => t?.close());

  const { tokenRow, expectUnrevokedInDb, successorsOf } = tokenRows(() => t);

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
      expect(res.body.message).toBe('Invalid token');
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

    it('refuses a form that gives token twice with 400 invalid_request, and revokes neither', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      const other = await createToken(t, asOwner(b));
      for (const pair of [
        [tok.secret, tok.secret],
        ['lk_nothing', tok.secret],
        [tok.secret, other.secret],
      ]) {
        const res = await oauthRevoke()
          .type('form')
          .send(pair.map((v) => `token=${encodeURIComponent(v)}`).join('&'));
        expect({ status: res.status, error: (res.body as { error?: unknown }).error }).toEqual({
          status: 400,
          error: 'invalid_request',
        });
        expect(res.text).not.toContain(tok.secret);
      }
      const hints = await oauthRevoke()
        .type('form')
        .send(`token=${tok.secret}&token_type_hint=access_token&token_type_hint=refresh_token`);
      expect(hints.status).toBe(400);
      await me(t, asMember(tok.secret, b.id)).expect(200);
      await me(t, asMember(other.secret, b.id)).expect(200);
      expect((await tokenRow(tok.id)).revoked_at).toBeNull();
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
});

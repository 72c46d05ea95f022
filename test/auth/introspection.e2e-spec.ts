import { mintSecret } from '../../src/tokens/token-secret';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import {
  asBearer,
  asOwner,
  asPlatform,
  me,
  removeMember,
  revoke,
  suspend,
} from '../harness/app/api';
import { dbTime as dbTimeOf } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { expectInvalidRequest } from '../harness/app/token-checks';
import { DRIVERS } from '../setup/servers';

/**
 * Introspection stands on the verifier's own admission and cache (RFC 7662). Each test first
 * makes the verifier hold the token, by using it or introspecting it, so a stale cache entry
 * would show as `active: true` after the change.
 */
describe.each(DRIVERS)('POST /oauth2/introspect on the verifier, on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // A long TTL: only eviction, never expiry of the entry, can make these answers right.
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '10000' });
  });
  afterAll(() => t?.close());

  const introspect = (callerToken: string, token: string) =>
    t.http().post('/oauth2/introspect').set(asBearer(callerToken)).send({ token });
  const useAndExpectActive = async (b: BusinessFixture, secret: string, caller: string) => {
    await me(t, { ...asOwner(b), authorization: `Bearer ${secret}` }).expect(200);
    expect((await introspect(caller, secret)).body.active).toBe(true);
  };

  type Change = (b: BusinessFixture, target: { id: string; secret: string }) => Promise<unknown>;
  const changes: [string, Change][] = [
    [
      'revoked by id',
      (b, target) => revoke(t, asOwner(b), target.id, { reason: 'gone' }).expect(201),
    ],
    [
      'revoked by value (RFC 7009)',
      (_b, target) => t.http().post('/oauth2/revoke').send({ token: target.secret }).expect(200),
    ],
    ['its business suspended', (b) => suspend(t, b.id).expect(200)],
    [
      'disabled',
      (b, target) =>
        t.http().post(`/api/v1/tokens/${target.id}/disable`).set(asOwner(b)).send({}).expect(200),
    ],
  ];

  it.each(changes)(
    'answers {active:false} for a token held in the cache, once %s',
    async (_, change) => {
      const b = await createBusiness(t);
      const target = await createToken(t, asOwner(b), { scopes: ['a:b'] });
      await useAndExpectActive(b, target.secret, t.platformToken);
      await change(b, target);
      const res = await introspect(t.platformToken, target.secret);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 200,
        body: { active: false },
      });
    },
  );

  it("answers {active:false} for a removed member's token, and after they are added back", async () => {
    const b = await createBusiness(t);
    const member = await addMember(t, b, 'member');
    await useAndExpectActive(b, member.token, b.ownerToken);
    await removeMember(t, asOwner(b), member.identityId).expect(200);
    expect((await introspect(b.ownerToken, member.token)).body).toEqual({ active: false });
    await addMember(t, b, 'member', member.email);
    expect((await introspect(b.ownerToken, member.token)).body).toEqual({ active: false });
  });

  it("answers {active:false} for a removed platform admin's platform token", async () => {
    const email = `introspected-${Date.now()}@latchkey.test`;
    const added = await t.http().post('/platform/v1/admins').set(asPlatform(t)).send({ email });
    expect(added.status).toBe(201);
    const { admin, first_token } = added.body.data;
    expect((await introspect(t.platformToken, first_token.token)).body).toMatchObject({
      active: true,
      business_id: null,
      sub: admin.identity_id,
    });
    await t
      .http()
      .delete(`/platform/v1/admins/${admin.identity_id}`)
      .set(asPlatform(t))
      .expect(200);
    expect((await introspect(t.platformToken, first_token.token)).body).toEqual({ active: false });
  });

  it('refuses a caller whose own business is suspended with 403 BUSINESS_SUSPENDED', async () => {
    const b = await createBusiness(t);
    const target = await createToken(t, asOwner(b));
    expect((await introspect(b.ownerToken, target.secret)).body.active).toBe(true);
    await suspend(t, b.id).expect(200);
    const refused = await introspect(b.ownerToken, target.secret);
    // RFC 6749's shape on /oauth2/*, the status and message of BUSINESS_SUSPENDED.
    expect({ status: refused.status, body: refused.body as unknown }).toEqual({
      status: 403,
      body: { error: 'access_denied', error_description: 'This business is suspended' },
    });
  });

  it('records no rejected use and no last use for the token it is asked about', async () => {
    const b = await createBusiness(t);
    const target = await createToken(t, asOwner(b));
    await revoke(t, asOwner(b), target.id).expect(201);
    for (let i = 0; i < 3; i++) {
      expect((await introspect(b.ownerToken, target.secret)).body).toEqual({ active: false });
    }
    const rejected = await t.sql(
      "SELECT id FROM audit_events WHERE action = 'token.rejected' AND target_id = ?",
      [target.id],
    );
    expect(rejected).toEqual([]);
    const [row] = await t.sql<{ last_used_at: unknown }>(
      'SELECT last_used_at FROM api_tokens WHERE id = ?',
      [target.id],
    );
    expect(row.last_used_at).toBeNull();
  });
});

/** RFC 7662's answer: what an active token is described as, and who may ask. */
describe.each(DRIVERS)('Introspection on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // The verifier cache keeps its default TTL. The per-IP limit of /oauth2/* is off.
    t = await bootTestApp(driver, { RATE_LIMIT_OAUTH_PER_MINUTE: '0' });
  });
  afterAll(() => t?.close());

  const dbTime = (date: Date) => dbTimeOf(t.driver, date);

  const introspect = (callerToken: string, body: object | string, form = false) => {
    const req = t.http().post('/oauth2/introspect').set(asBearer(callerToken));
    return form ? req.type('form').send(body) : req.send(body);
  };
  /** The token's status-list entry, as its own /me names it. */
  const entryOf = async (secret: string, b: BusinessFixture) =>
    (await me(t, { ...asBearer(secret), 'x-business-id': b.id }).expect(200)).body.data
      .status_list as { idx: number; uri: string };

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
          meta: null,
          uses_remaining: null,
          // draft-ietf-oauth-status-list, section 6.1: where the token's status is published.
          status: { status_list: await entryOf(target.secret, b) },
        });
        expect(JSON.stringify(res.body)).not.toContain(target.secret);
      }
    });

    it('refuses a form that gives token, or the hint, twice with 400 invalid_request, whichever comes last', async () => {
      const b = await createUnexpiringBusiness(t);
      const target = await createToken(t, asOwner(b));
      const once = (v: string) => `token=${encodeURIComponent(v)}`;
      // Any parameter given twice is refused, the ignored hint too (RFC 6749 §3.1).
      for (const form of [
        `${once(target.secret)}&${once(target.secret)}`,
        `${once('lk_nothing')}&${once(target.secret)}`,
        `${once(target.secret)}&token_type_hint=a&token_type_hint=b`,
      ]) {
        const res = await introspect(b.ownerToken, form, true);
        expect({ status: res.status, error: res.body.error as unknown }).toEqual({
          status: 400,
          error: 'invalid_request',
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
});

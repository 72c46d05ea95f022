import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
} from './factories/tenancy.factory';
import { asBearer, asOwner, asPlatform, me, removeMember, revoke, suspend } from './helpers/api';
import { bootTestApp, TestApp } from './helpers/test-app';
import { DRIVERS } from './setup/servers';

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
  afterAll(() => t.close());

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

import { mintSecret } from '../src/tokens/token-secret';
import { TokensRepository } from '../src/tokens/tokens.repository';
import { VerifierCache } from '../src/tokens/verifier-cache';
import { TenancyDirectory } from '../src/tenancy/tenancy-directory';
import {
  addMember,
  asMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken as createTokenAs,
} from './factories/tenancy.factory';
import { asOwner } from './helpers/api';
import { sleep } from './helpers/assertions';
import { bootTestApp, TestApp } from './helpers/test-app';
import { DRIVERS } from './setup/servers';

describe.each(DRIVERS)('Verifier cache on %s', (driver) => {
  let t: TestApp;
  let lookups: jest.SpiedFunction<TokensRepository['findForVerifierAnyBusiness']>;
  let businessReads: jest.SpiedFunction<TenancyDirectory['findBusiness']>;

  beforeAll(async () => {
    // The longest TTL allowed: every "refused at once" below is eviction, never expiry of the entry.
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '10000' });
    // Spies that count and call through: the database still answers every read they see.
    lookups = jest.spyOn(t.app.get(TokensRepository), 'findForVerifierAnyBusiness');
    businessReads = jest.spyOn(t.app.get(TenancyDirectory), 'findBusiness');
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t.close();
  });
  beforeEach(() => {
    lookups.mockClear();
    businessReads.mockClear();
  });

  const me = (token: string, businessId: string) =>
    t.http().get('/api/v1/me').set(asMember(token, businessId));
  const platform = () => ({ authorization: `Bearer ${t.platformToken}` });

  /** Makes sure the token's snapshot is cached. */
  async function warm(token: string, businessId: string, path = '/api/v1/me'): Promise<void> {
    await t.http().get(path).set(asMember(token, businessId)).expect(200);
    await t.http().get(path).set(asMember(token, businessId)).expect(200);
  }

  const createToken = (business: BusinessFixture, body: Record<string, unknown> = {}) =>
    createTokenAs(t, asOwner(business), { name: 'cached', ...body });

  describe('reads', () => {
    it('reads a token once per TTL: a warm token costs no lookup and no business read', async () => {
      const b = await createBusiness(t);
      const alice = await addMember(t, b);
      lookups.mockClear();
      businessReads.mockClear();
      for (let i = 0; i < 10; i++) await me(alice.token, b.id).expect(200);
      expect(lookups).toHaveBeenCalledTimes(1);
      // The business-scope guard took the business from the snapshot.
      expect(businessReads).not.toHaveBeenCalled();
    });

    it('answers GET /me from the snapshot: no identity or token read for a warm token', async () => {
      const b = await createBusiness(t);
      const repo = t.app.get(TokensRepository);
      const tokenReads = [jest.spyOn(repo, 'findById'), jest.spyOn(repo, 'findPlatformTokenById')];
      await warm(b.ownerToken, b.id);
      tokenReads.forEach((spy) => spy.mockClear());
      const res = await me(b.ownerToken, b.id).expect(200);
      expect(res.body.data.identity).toEqual({
        id: b.ownerId,
        kind: 'user',
        email: b.ownerEmail,
        name: null,
        is_platform_admin: false,
      });
      expect(res.body.data.token).toMatchObject({ status: 'active', business_id: b.id });
      for (const spy of tokenReads) expect(spy).not.toHaveBeenCalled();
      tokenReads.forEach((spy) => spy.mockRestore());
    });

    it('shows a rename in GET /me on the very next request', async () => {
      const b = await createBusiness(t);
      const token = await createToken(b, { name: 'before' });
      await warm(token.secret, b.id);
      await t
        .http()
        .patch(`/api/v1/tokens/${token.id}`)
        .set(asMember(b.ownerToken, b.id))
        .send({ name: 'after' })
        .expect(200);
      const res = await me(token.secret, b.id).expect(200);
      expect(res.body.data.token.name).toBe('after');
    });

    it('a platform token naming a business still reads that business', async () => {
      const b = await createBusiness(t);
      await t.http().get('/platform/v1/businesses').set(platform()).expect(200);
      businessReads.mockClear();
      await t
        .http()
        .get('/api/v1/members')
        .set({ ...platform(), 'x-business-id': b.id })
        .expect(200);
      expect(businessReads).toHaveBeenCalledTimes(1);
    });

    it('remembers an unknown, well-formed token: a flood of it costs one lookup', async () => {
      const unknown = mintSecret('lk').secret;
      const b = await createBusiness(t);
      for (let i = 0; i < 5; i++) {
        const res = await me(unknown, b.id).expect(401);
        expect(res.body.code).toBe('INVALID_TOKEN');
      }
      expect(lookups).toHaveBeenCalledTimes(1);
    });

    it('never looks up a malformed token', async () => {
      const b = await createBusiness(t);
      // Swap the last checksum character for a different one, so the checksum always fails.
      const good = mintSecret('lk').secret;
      const bad = `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`;
      expect(bad).not.toBe(good);
      await me(bad, b.id).expect(401);
      await me('lk_short', b.id).expect(401);
      expect(lookups).not.toHaveBeenCalled();
    });

    it('refuses a cached token once its expiry passes, without reading it again', async () => {
      const b = await createBusiness(t);
      const expiresAt = new Date(Date.now() + 2500);
      const tok = await createToken(b, { expires_at: expiresAt.toISOString() });
      await warm(tok.secret, b.id);
      await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 100);
      lookups.mockClear();
      const res = await me(tok.secret, b.id).expect(401);
      expect(res.body.code).toBe('TOKEN_EXPIRED');
      expect(lookups).not.toHaveBeenCalled();
    });
  });

  describe('the very next request after a change is refused', () => {
    it('revocation', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(b);
      await warm(tok.secret, b.id);
      await t
        .http()
        .post(`/api/v1/tokens/${tok.id}/revoke`)
        .set(asMember(b.ownerToken, b.id))
        .send({})
        .expect(201);
      expect((await me(tok.secret, b.id).expect(401)).body.code).toBe('TOKEN_REVOKED');
    });

    it('revocation by the token itself (self/revoke)', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(b);
      await warm(tok.secret, b.id);
      await t.http().post('/api/v1/tokens/self/revoke').set(asMember(tok.secret, b.id)).expect(201);
      expect((await me(tok.secret, b.id).expect(401)).body.code).toBe('TOKEN_REVOKED');
    });

    it('business suspension (403 BUSINESS_SUSPENDED), and resumption', async () => {
      const b = await createBusiness(t);
      await warm(b.ownerToken, b.id);
      await t.http().post(`/platform/v1/businesses/${b.id}/suspend`).set(platform()).expect(200);
      const res = await me(b.ownerToken, b.id).expect(403);
      expect(res.body.code).toBe('BUSINESS_SUSPENDED');
      await t.http().post(`/platform/v1/businesses/${b.id}/resume`).set(platform()).expect(200);
      await me(b.ownerToken, b.id).expect(200);
    });

    it('a role change: an admin made member loses the admin routes', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      await warm(admin.token, b.id, '/api/v1/members');
      await t
        .http()
        .patch(`/api/v1/members/${admin.identityId}`)
        .set(asMember(b.ownerToken, b.id))
        .send({ role: 'member' })
        .expect(200);
      const res = await t.http().get('/api/v1/members').set(asMember(admin.token, b.id));
      expect(res.status).toBe(403);
      expect((await me(admin.token, b.id).expect(200)).body.data.role).toBe('member');
    });

    it('member removal', async () => {
      const b = await createBusiness(t);
      const alice = await addMember(t, b);
      await warm(alice.token, b.id);
      await t
        .http()
        .delete(`/api/v1/members/${alice.identityId}`)
        .set(asMember(b.ownerToken, b.id))
        .expect(200);
      const res = await me(alice.token, b.id).expect(401);
      expect(['TOKEN_REVOKED', 'INVALID_TOKEN']).toContain(res.body.code);
    });

    it('machine identity deletion', async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b);
      const tok = await createToken(b, { identity_id: machine.id });
      await warm(tok.secret, b.id);
      await t
        .http()
        .delete(`/api/v1/machine-identities/${machine.id}`)
        .set(asMember(b.ownerToken, b.id))
        .expect(200);
      const res = await me(tok.secret, b.id).expect(401);
      expect(['TOKEN_REVOKED', 'INVALID_TOKEN']).toContain(res.body.code);
    });

    it('rotation with no grace: the old token is refused, the new one works', async () => {
      const b = await createBusiness(t);
      const old = await createToken(b);
      await warm(old.secret, b.id);
      const res = await t
        .http()
        .post(`/api/v1/tokens/${old.id}/rotate`)
        .set(asMember(b.ownerToken, b.id))
        .send({ grace_period_seconds: 0 })
        .expect(201);
      expect((await me(old.secret, b.id).expect(401)).body.code).toBe('TOKEN_REVOKED');
      await me(res.body.data.token as string, b.id).expect(200);
    });

    it('rotation with grace: the old token is cut off when the grace ends', async () => {
      const b = await createBusiness(t);
      const old = await createToken(b);
      await warm(old.secret, b.id);
      await t
        .http()
        .post(`/api/v1/tokens/${old.id}/rotate`)
        .set(asMember(b.ownerToken, b.id))
        .send({ grace_period_seconds: 2 })
        .expect(201);
      await me(old.secret, b.id).expect(200);
      await sleep(2200);
      expect((await me(old.secret, b.id).expect(401)).body.code).toBe('TOKEN_EXPIRED');
    });

    it('a platform admin removed: their platform token is refused', async () => {
      const res = await t
        .http()
        .post('/platform/v1/admins')
        .set(platform())
        .send({ email: `second-admin-${driver}@example.test` })
        .expect(201);
      const token = res.body.data.first_token.token as string;
      const id = res.body.data.admin.identity_id as string;
      const asAdmin = { authorization: `Bearer ${token}` };
      await t.http().get('/platform/v1/businesses').set(asAdmin).expect(200);
      await t.http().get('/platform/v1/businesses').set(asAdmin).expect(200);
      await t.http().delete(`/platform/v1/admins/${id}`).set(platform()).expect(200);
      await t.http().get('/platform/v1/businesses').set(asAdmin).expect(401);
    });
  });

  it('keeps at most the tokens it was asked about, and evicts them by business', async () => {
    const cache = t.app.get(VerifierCache);
    const b = await createBusiness(t);
    const alice = await addMember(t, b);
    await warm(alice.token, b.id);
    const before = cache.size;
    await t.http().post(`/platform/v1/businesses/${b.id}/suspend`).set(platform()).expect(200);
    // The owner's and Alice's entries went; nothing else did.
    expect(cache.size).toBeLessThanOrEqual(before - 2);
    expect(cache.size).toBeGreaterThan(0);
  });
});

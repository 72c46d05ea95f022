import { mintSecret } from '../../src/tokens/token-secret';
import { TokensRepository } from '../../src/tokens/store/repositories/tokens.repository';
import { VerifierCache } from '../../src/tokens/verify/verifier-cache';
import { TenancyDirectory } from '../../src/tenancy/tenancy-directory';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
} from '../factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  asPlatform,
  deleteMachine,
  listBusinesses,
  listMembers,
  me,
  patchMember,
  postPlatformAdmin,
  removeMember,
  removePlatformAdmin,
  renameToken,
  resume,
  revoke,
  rotate,
  selfRevoke,
  suspend,
} from '../harness/app/api';
import { tamperedSecret } from '../harness/app/token-checks';
import { beforeMoment, sleepPast } from '../harness/app/clock';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

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

  /** Makes sure the token's snapshot is cached. */
  async function warm(token: string, businessId: string, path = '/api/v1/me'): Promise<void> {
    await t.http().get(path).set(asMember(token, businessId)).expect(200);
    await t.http().get(path).set(asMember(token, businessId)).expect(200);
  }

  describe('reads', () => {
    it('reads a token once per TTL: a warm token costs no lookup and no business read', async () => {
      const b = await createBusiness(t);
      const alice = await addMember(t, b);
      lookups.mockClear();
      businessReads.mockClear();
      for (let i = 0; i < 10; i++) await me(t, asMember(alice.token, b.id)).expect(200);
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
      const res = await me(t, asOwner(b)).expect(200);
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
      const token = await createToken(t, asOwner(b), { name: 'before' });
      await warm(token.secret, b.id);
      await renameToken(t, asOwner(b), token.id, { name: 'after' }).expect(200);
      const res = await me(t, asMember(token.secret, b.id)).expect(200);
      expect(res.body.data.token.name).toBe('after');
    });

    it('a platform token naming a business still reads that business', async () => {
      const b = await createBusiness(t);
      await listBusinesses(t, asPlatform(t)).expect(200);
      businessReads.mockClear();
      await listMembers(t, asMember(t.platformToken, b.id)).expect(200);
      expect(businessReads).toHaveBeenCalledTimes(1);
    });

    it('remembers an unknown, well-formed token: a flood of it costs one lookup', async () => {
      const unknown = mintSecret('lk').secret;
      const b = await createBusiness(t);
      for (let i = 0; i < 5; i++) {
        const res = await me(t, asMember(unknown, b.id)).expect(401);
        expect(res.body.code).toBe('INVALID_TOKEN');
      }
      expect(lookups).toHaveBeenCalledTimes(1);
    });

    it('never looks up a malformed token', async () => {
      const b = await createBusiness(t);
      // Swap the last checksum character for a different one, so the checksum always fails.
      const good = mintSecret('lk').secret;
      const bad = tamperedSecret(good);
      expect(bad).not.toBe(good);
      await me(t, asMember(bad, b.id)).expect(401);
      await me(t, asMember('lk_short', b.id)).expect(401);
      expect(lookups).not.toHaveBeenCalled();
    });

    it('refuses a cached token once its expiry passes, without reading it again', async () => {
      const b = await createBusiness(t);
      // Windows inside the cache's TTL, so the entry is still the one warmed when the moment comes.
      const { at, value: tok } = await beforeMoment(
        async (expiresAt) => {
          const made = await createToken(t, asOwner(b), { expires_at: expiresAt.toISOString() });
          await warm(made.secret, b.id);
          return made;
        },
        { firstMs: 2_000, longestMs: 8_000 },
      );
      await sleepPast(at, 100);
      lookups.mockClear();
      const res = await me(t, asMember(tok.secret, b.id)).expect(401);
      expect(res.body.code).toBe('TOKEN_EXPIRED');
      expect(lookups).not.toHaveBeenCalled();
    });
  });

  describe('the very next request after a change is refused', () => {
    /** A change that takes a warm token away: the very next request with it is a 401. */
    it.each([
      {
        title: 'revocation',
        codes: ['TOKEN_REVOKED'],
        change: async (b: BusinessFixture) => {
          const tok = await createToken(t, asOwner(b));
          await warm(tok.secret, b.id);
          await revoke(t, asOwner(b), tok.id, {}).expect(201);
          return tok.secret;
        },
      },
      {
        title: 'revocation by the token itself (self/revoke)',
        codes: ['TOKEN_REVOKED'],
        change: async (b: BusinessFixture) => {
          const tok = await createToken(t, asOwner(b));
          await warm(tok.secret, b.id);
          await selfRevoke(t, asMember(tok.secret, b.id)).expect(201);
          return tok.secret;
        },
      },
      {
        title: 'member removal',
        codes: ['TOKEN_REVOKED', 'INVALID_TOKEN'],
        change: async (b: BusinessFixture) => {
          const alice = await addMember(t, b);
          await warm(alice.token, b.id);
          await removeMember(t, asOwner(b), alice.identityId).expect(200);
          return alice.token;
        },
      },
      {
        title: 'machine identity deletion',
        codes: ['TOKEN_REVOKED', 'INVALID_TOKEN'],
        change: async (b: BusinessFixture) => {
          const machine = await createMachine(t, b);
          const tok = await createToken(t, asOwner(b), { identity_id: machine.id });
          await warm(tok.secret, b.id);
          await deleteMachine(t, asOwner(b), machine.id).expect(200);
          return tok.secret;
        },
      },
    ])('$title', async ({ change, codes }) => {
      const b = await createBusiness(t);
      const secret = await change(b);
      const res = await me(t, asMember(secret, b.id)).expect(401);
      expect(codes).toContain(res.body.code);
    });

    it('business suspension (403 BUSINESS_SUSPENDED), and resumption', async () => {
      const b = await createBusiness(t);
      await warm(b.ownerToken, b.id);
      await suspend(t, b.id).expect(200);
      const res = await me(t, asOwner(b)).expect(403);
      expect(res.body.code).toBe('BUSINESS_SUSPENDED');
      await resume(t, b.id).expect(200);
      await me(t, asOwner(b)).expect(200);
    });

    it('a role change: an admin made member loses the admin routes', async () => {
      const b = await createBusiness(t);
      const admin = await addMember(t, b, 'admin');
      await warm(admin.token, b.id, '/api/v1/members');
      await patchMember(t, asOwner(b), admin.identityId, { role: 'member' }).expect(200);
      const res = await listMembers(t, asMember(admin.token, b.id));
      expect(res.status).toBe(403);
      expect((await me(t, asMember(admin.token, b.id)).expect(200)).body.data.role).toBe('member');
    });

    it('rotation with no grace: the old token is refused, the new one works', async () => {
      const b = await createBusiness(t);
      const old = await createToken(t, asOwner(b));
      await warm(old.secret, b.id);
      const res = await rotate(t, asOwner(b), old.id, { grace_period_seconds: 0 }).expect(201);
      expect((await me(t, asMember(old.secret, b.id)).expect(401)).body.code).toBe('TOKEN_REVOKED');
      await me(t, asMember(res.body.data.token as string, b.id)).expect(200);
    });

    it('rotation with grace: the old token is cut off when the grace ends', async () => {
      const b = await createBusiness(t);
      const { value } = await beforeMoment(
        async (at) => {
          // The grace ends no sooner than `at`, and no later than `endsBy`.
          const seconds = Math.ceil((at.getTime() - Date.now()) / 1000);
          const old = await createToken(t, asOwner(b));
          await warm(old.secret, b.id);
          await rotate(t, asOwner(b), old.id, { grace_period_seconds: seconds }).expect(201);
          const endsBy = new Date(Date.now() + seconds * 1000);
          await me(t, asMember(old.secret, b.id)).expect(200);
          return { old, endsBy };
        },
        { firstMs: 2_000 },
      );
      await sleepPast(value.endsBy);
      expect((await me(t, asMember(value.old.secret, b.id)).expect(401)).body.code).toBe(
        'TOKEN_EXPIRED',
      );
    });

    it('a platform admin removed: their platform token is refused', async () => {
      const res = await postPlatformAdmin(t, asPlatform(t), {
        email: `second-admin-${driver}@example.test`,
      }).expect(201);
      const token = res.body.data.first_token.token as string;
      const id = res.body.data.admin.identity_id as string;
      const asAdmin = asBearer(token);
      await listBusinesses(t, asAdmin).expect(200);
      await listBusinesses(t, asAdmin).expect(200);
      await removePlatformAdmin(t, asPlatform(t), id).expect(200);
      await listBusinesses(t, asAdmin).expect(401);
    });
  });

  it('keeps at most the tokens it was asked about, and evicts them by business', async () => {
    const cache = t.app.get(VerifierCache);
    const b = await createBusiness(t);
    const alice = await addMember(t, b);
    await warm(alice.token, b.id);
    const before = cache.size;
    await suspend(t, b.id).expect(200);
    // The owner's and Alice's entries went; nothing else did.
    expect(cache.size).toBeLessThanOrEqual(before - 2);
    expect(cache.size).toBeGreaterThan(0);
  });
});

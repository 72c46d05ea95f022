import { randomUUID } from 'node:crypto';
import { hashSecret } from '../../src/tokens/token-secret';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, me, postToken, renameToken } from '../harness/app/api';
import { dbDate, expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { expectValidation } from '../harness/app/token-checks';
import { DRIVERS } from '../setup/servers';

const DAY_MS = 24 * 60 * 60 * 1000;
const SECRET_PATTERN = /^lk_[0-9A-Za-z]{36}$/;

type Row = Record<string, unknown>;

/** The scopes column (JSON text) read back. */
function scopesOf(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

describe.each(DRIVERS)('Token issuance on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // No verifier caching, so rows edited directly in SQL are seen on the next request.
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
  });
  afterAll(() => t?.close());

  const row = async (id: string): Promise<Row | undefined> =>
    (await t.sql('SELECT * FROM api_tokens WHERE id = ?', [id]))[0];

  const countTokens = async (businessId: string): Promise<number> => {
    const rows = await t.sql<{ n: unknown }>(
      'SELECT COUNT(*) AS n FROM api_tokens WHERE business_id = ?',
      [businessId],
    );
    return Number(rows[0].n);
  };

  describe('POST /api/v1/tokens', () => {
    let biz: BusinessFixture;
    /** The tokens the business starts with: the owner's first token and unexpiring one. */
    let baseline: number;
    beforeEach(async () => {
      // An owner token that never expires, so nothing here is capped by its maker's expiry.
      biz = await createUnexpiringBusiness(t);
      baseline = await countTokens(biz.id);
    });

    it('creates a token: 201, no-store, the secret once, the view, and only a hash in the DB', async () => {
      const before = Date.now();
      const res = await postToken(t, asOwner(biz), {
        name: 'ci-deploy',
        scopes: ['deploy:write', 'audit:read'],
        expires_in_days: 90,
      });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({ success: true, data: expect.any(Object) });

      const data = res.body.data;
      const secret: string = data.token;
      expect(secret).toMatch(SECRET_PATTERN);
      expect(data).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        jti: expect.any(String),
        name: 'ci-deploy',
        preview: `${secret.slice(0, 7)}…${secret.slice(-4)}`,
        scopes: ['deploy:write', 'audit:read'],
        status: 'active',
        business_id: biz.id,
        identity_id: biz.ownerId,
        created_at: expect.any(String),
        created_by: biz.ownerEmail,
        expires_at: expect.any(String),
        last_used_at: null,
        revoked_at: null,
        revoked_by: null,
        revocation_reason: null,
        rotated_from_id: null,
      });
      expect(data).not.toHaveProperty('token_hash');
      const raw = JSON.stringify(res.body);
      expect(raw).not.toContain('token_hash');
      expect(raw).not.toMatch(/[0-9a-f]{64}/i);
      expect(raw).not.toContain(hashSecret(secret));
      const expiresAt = new Date(data.expires_at as string).getTime();
      expect(expiresAt).toBeGreaterThanOrEqual(before + 90 * DAY_MS - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 90 * DAY_MS + 1000);

      const stored = await row(data.id);
      expect(stored).toBeDefined();
      expect(stored).toMatchObject({
        id: data.id,
        jti: data.jti,
        business_id: biz.id,
        identity_id: biz.ownerId,
        name: 'ci-deploy',
        preview: data.preview,
        created_by: biz.ownerEmail,
        token_hash: hashSecret(secret),
        revoked_at: null,
      });
      expect(scopesOf(stored!.scopes)).toEqual(['deploy:write', 'audit:read']);
      expect(dbDate(stored!.expires_at)!.toISOString()).toBe(data.expires_at);
      const storedText = JSON.stringify(stored);
      expect(storedText).not.toContain(secret);
      expect(storedText).not.toContain(secret.slice(3));
    });

    it('issues a token that authenticates on GET /api/v1/me', async () => {
      const { secret, view } = await createToken(t, asOwner(biz), { name: 'works' });
      const res = await me(t, asMember(secret, biz.id)).expect(200);
      expect(res.body.data.token.id).toBe(view.id);
      expect(res.body.data.identity.id).toBe(biz.ownerId);
      expect(res.body.data.role).toBe('owner');
    });

    it('creates a token with no expiry and unrestricted scopes when both are omitted', async () => {
      const { view } = await createToken(t, asOwner(biz), { name: 'forever' });
      expect(view).toMatchObject({ scopes: null, expires_at: null, status: 'active' });
      const stored = await row(view.id);
      expect(stored!.expires_at).toBeNull();
      expect(stored!.scopes).toBeNull();
    });

    describe('validation', () => {
      const cases: [string, Record<string, unknown>, (string | number)[]][] = [
        ['name missing', { scopes: [] }, ['body', 'name']],
        ['name empty', { name: '' }, ['body', 'name']],
        ['name of 101 characters', { name: 'x'.repeat(101) }, ['body', 'name']],
        ['scopes not an array', { name: 'a', scopes: 'deploy:write' }, ['body', 'scopes']],
        ['expires_in_days 0', { name: 'a', expires_in_days: 0 }, ['body', 'expires_in_days']],
        ['expires_in_days 366', { name: 'a', expires_in_days: 366 }, ['body', 'expires_in_days']],
        [
          'expires_at in the past',
          { name: 'a', expires_at: new Date(Date.now() - DAY_MS).toISOString() },
          ['body', 'expires_at'],
        ],
        [
          'identity_id not a uuid',
          { name: 'a', identity_id: 'not-a-uuid' },
          ['body', 'identity_id'],
        ],
        ['an unknown extra field', { name: 'a', colour: 'red' }, ['body', 'colour']],
      ];

      it.each(cases)('answers %s with 422 located in the body', async (_label, body, loc) => {
        const res = await postToken(t, asOwner(biz), body);
        expectValidation(res, loc);
        expect(await countTokens(biz.id)).toBe(baseline);
      });

      it('answers a bad scope string with 422 located at scopes', async () => {
        const res = await postToken(t, asOwner(biz), {
          name: 'a',
          scopes: ['deploy:write', 'Bad Scope'],
        });
        expectError(res, 422, 'VALIDATION_ERROR');
        const locs = (res.body.detail as { loc: (string | number)[] }[]).map((d) => d.loc);
        expect(locs.some((l) => l[0] === 'body' && l[1] === 'scopes')).toBe(true);
        expect(await countTokens(biz.id)).toBe(baseline);
      });

      it('refuses both expires_at and expires_in_days with 422 in the body', async () => {
        const res = await postToken(t, asOwner(biz), {
          name: 'a',
          expires_at: new Date(Date.now() + 10 * DAY_MS).toISOString(),
          expires_in_days: 10,
        });
        expectError(res, 422, 'VALIDATION_ERROR');
        const locs = (res.body.detail as { loc: (string | number)[] }[]).map((d) => d.loc);
        expect(locs.some((l) => l[0] === 'body')).toBe(true);
        expect(locs.some((l) => l[1] === 'expires_at' || l[1] === 'expires_in_days')).toBe(true);
        expect(await countTokens(biz.id)).toBe(baseline);
      });
    });

    describe('expiry', () => {
      it('sets expires_at to now + 30 days for expires_in_days 30', async () => {
        const before = Date.now();
        const { view } = await createToken(t, asOwner(biz), {
          name: 'thirty',
          expires_in_days: 30,
        });
        const after = Date.now();
        const expiresAt = new Date(view.expires_at!);
        expect(expiresAt.getTime()).toBeGreaterThanOrEqual(before + 30 * DAY_MS - 1000);
        expect(expiresAt.getTime()).toBeLessThanOrEqual(after + 30 * DAY_MS + 1000);
        const stored = await row(view.id);
        expect(Math.abs(dbDate(stored!.expires_at)!.getTime() - expiresAt.getTime())).toBeLessThan(
          1000,
        );
      });

      it('honours expires_at exactly', async () => {
        const at = new Date(Date.now() + 12 * DAY_MS + 123).toISOString();
        const { view } = await createToken(t, asOwner(biz), { name: 'exact', expires_at: at });
        expect(view.expires_at).toBe(at);
        const stored = await row(view.id);
        expect(dbDate(stored!.expires_at)!.toISOString()).toBe(at);
      });
    });

    describe('identity_id', () => {
      it('lets an owner issue a token for a machine identity, which authenticates as the machine', async () => {
        const machine = await createMachine(t, biz, 'member');
        const res = await postToken(t, asOwner(biz), {
          name: 'ci-runner',
          identity_id: machine.id,
        });
        expect(res.status).toBe(201);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body.data).toMatchObject({
          identity_id: machine.id,
          business_id: biz.id,
          created_by: biz.ownerEmail,
          status: 'active',
        });
        const secret: string = res.body.data.token;
        expect(secret).toMatch(SECRET_PATTERN);

        const stored = await row(res.body.data.id);
        expect(stored).toMatchObject({ identity_id: machine.id, token_hash: hashSecret(secret) });

        const who = await me(t, asMember(secret, biz.id)).expect(200);
        expect(who.body.data.identity).toMatchObject({
          id: machine.id,
          kind: 'machine',
          name: machine.name,
        });
        expect(who.body.data.token.id).toBe(res.body.data.id);
      });

      it('refuses a member naming a machine identity with 403', async () => {
        const machine = await createMachine(t, biz, 'member');
        const member = await addMember(t, biz, 'member');
        const res = await postToken(t, asMember(member.token, biz.id), {
          name: 'sneaky',
          identity_id: machine.id,
        });
        expectError(res, 403, 'INSUFFICIENT_ROLE');
        const rows = await t.sql('SELECT id FROM api_tokens WHERE identity_id = ?', [machine.id]);
        expect(rows).toHaveLength(0);
      });

      it('answers an owner naming a person with 403 NOT_TOKEN_HOLDER: people make their own', async () => {
        const member = await addMember(t, biz, 'member');
        const res = await postToken(t, asOwner(biz), {
          name: 'for-a-person',
          identity_id: member.identityId,
        });
        expectError(res, 403, 'NOT_TOKEN_HOLDER');
        const rows = await t.sql('SELECT id FROM api_tokens WHERE identity_id = ?', [
          member.identityId,
        ]);
        expect(rows).toHaveLength(1);
      });

      it('answers an owner naming a machine of another business with 404 IDENTITY_NOT_FOUND', async () => {
        const other = await createBusiness(t);
        const machine = await createMachine(t, other, 'member');
        const res = await postToken(t, asOwner(biz), {
          name: 'cross-tenant',
          identity_id: machine.id,
        });
        expectError(res, 404, 'IDENTITY_NOT_FOUND');
        const rows = await t.sql('SELECT id FROM api_tokens WHERE identity_id = ?', [machine.id]);
        expect(rows).toHaveLength(0);
      });

      it('answers an unknown identity_id with 404 IDENTITY_NOT_FOUND', async () => {
        const res = await postToken(t, asOwner(biz), {
          name: 'nobody',
          identity_id: randomUUID(),
        });
        expectError(res, 404, 'IDENTITY_NOT_FOUND');
      });
    });

    describe('scopes', () => {
      it('lets a deploy:* token create a deploy:write token', async () => {
        const { secret: deployAll } = await createToken(t, asOwner(biz), {
          name: 'deploy-all',
          scopes: ['deploy:*'],
        });
        const { view } = await createToken(t, asMember(deployAll, biz.id), {
          name: 'deploy-write',
          scopes: ['deploy:write'],
        });
        expect(view.scopes).toEqual(['deploy:write']);
        expect(view.identity_id).toBe(biz.ownerId);
        expect(scopesOf((await row(view.id))!.scopes)).toEqual(['deploy:write']);
      });

      it.each([
        ['audit:read', { scopes: ['audit:read'] }],
        ['null scopes', { scopes: null }],
        ['omitted scopes', {}],
      ])('refuses a deploy:* token granting %s with 403 SCOPE_ESCALATION', async (_l, extra) => {
        const { secret: deployAll } = await createToken(t, asOwner(biz), {
          name: 'deploy-all',
          scopes: ['deploy:*'],
        });
        const count = await countTokens(biz.id);
        const res = await postToken(t, asMember(deployAll, biz.id), {
          name: 'escalated',
          ...extra,
        });
        expectError(res, 403, 'SCOPE_ESCALATION');
        expect(await countTokens(biz.id)).toBe(count);
      });

      /** Each role's unrestricted first token asking for a built-in and a custom scope. */
      it.each([
        {
          title: 'refuses a member (unrestricted first token) asking for tokens:admin',
          role: 'member',
          scope: 'tokens:admin',
          granted: false,
        },
        {
          title: 'lets a member grant a custom scope',
          role: 'member',
          scope: 'billing:read',
          granted: true,
        },
        {
          title: 'lets an admin grant tokens:admin',
          role: 'admin',
          scope: 'tokens:admin',
          granted: true,
        },
        {
          title: 'lets an admin grant a custom scope',
          role: 'admin',
          scope: 'billing:read',
          granted: true,
        },
        {
          title: 'lets an owner grant tokens:admin',
          role: 'owner',
          scope: 'tokens:admin',
          granted: true,
        },
        {
          title: 'lets an unrestricted owner token grant a custom scope',
          role: 'owner',
          scope: 'billing:read',
          granted: true,
        },
      ] as const)('$title', async ({ role, scope, granted }) => {
        const caller =
          role === 'owner' ? asOwner(biz) : asMember((await addMember(t, biz, role)).token, biz.id);
        const count = await countTokens(biz.id);
        const res = await postToken(t, caller, { name: 'asks', scopes: [scope] });
        if (!granted) {
          expectError(res, 403, 'SCOPE_ESCALATION');
          expect(await countTokens(biz.id)).toBe(count);
          return;
        }
        expect(res.status).toBe(201);
        expect(res.body.data.scopes).toEqual([scope]);
        expect(scopesOf((await row(res.body.data.id as string))!.scopes)).toEqual([scope]);
        expect(await countTokens(biz.id)).toBe(count + 1);
      });
    });
  });

  describe('PATCH /api/v1/tokens/{token_id}', () => {
    let biz: BusinessFixture;
    beforeEach(async () => {
      biz = await createBusiness(t);
    });

    /** The caller's own token, as the owner or as a member. */
    it.each([
      { title: 'renames a token and stores the new name', role: 'owner' },
      { title: 'lets a member rename their own token', role: 'member' },
    ] as const)('$title', async ({ role }) => {
      const caller =
        role === 'owner' ? asOwner(biz) : asMember((await addMember(t, biz, role)).token, biz.id);
      const { view } = await createToken(t, caller, { name: 'old-name' });
      const res = await renameToken(t, caller, view.id, { name: 'new-name' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        success: true,
        data: { id: view.id, jti: view.jti, name: 'new-name', status: 'active' },
      });
      expect(res.body.data).not.toHaveProperty('token');
      expect((await row(view.id))!.name).toBe('new-name');
    });

    it('answers an empty name with 422 and keeps the old name', async () => {
      const { view } = await createToken(t, asOwner(biz), { name: 'keep-me' });
      const res = await renameToken(t, asOwner(biz), view.id, { name: '' });
      expectValidation(res, ['body', 'name']);
      expect((await row(view.id))!.name).toBe('keep-me');
    });

    /** A token that the caller may not see: it is 404 and left alone. */
    it.each([
      {
        title: "answers another business's token with 404 and leaves it alone",
        parties: async (b: BusinessFixture) => ({
          maker: asOwner(await createBusiness(t)),
          caller: asOwner(b),
        }),
      },
      {
        title: "answers a member renaming another member's token with 404",
        parties: async (b: BusinessFixture) => {
          const [alice, bob] = [await addMember(t, b, 'member'), await addMember(t, b, 'member')];
          return { maker: asMember(bob.token, b.id), caller: asMember(alice.token, b.id) };
        },
      },
    ])('$title', async ({ parties }) => {
      const { maker, caller } = await parties(biz);
      const { view } = await createToken(t, maker, { name: 'not-yours' });
      const res = await renameToken(t, caller, view.id, { name: 'hijacked' });
      expectError(res, 404, 'TOKEN_NOT_FOUND');
      expect((await row(view.id))!.name).toBe('not-yours');
    });
  });

  describe('OpenAPI document', () => {
    it('documents the token routes and the responses of create', async () => {
      const res = await t.http().get('/docs-json').expect(200);
      const paths = res.body.paths as Record<string, Record<string, unknown>>;
      expect(paths['/api/v1/tokens']).toEqual(
        expect.objectContaining({ post: expect.any(Object), get: expect.any(Object) }),
      );
      for (const [path, method] of [
        ['/api/v1/tokens/{token_id}/revoke', 'post'],
        ['/api/v1/tokens/{token_id}/rotate', 'post'],
        ['/api/v1/tokens/bulk-revoke', 'post'],
        ['/oauth2/revoke', 'post'],
        ['/oauth2/introspect', 'post'],
        ['/platform/v1/tokens/revoke', 'post'],
      ]) {
        expect({ path, op: paths[path]?.[method] !== undefined }).toEqual({ path, op: true });
      }
      const create = paths['/api/v1/tokens'].post as { responses: Record<string, unknown> };
      expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '403', '422']));
    });
  });
});

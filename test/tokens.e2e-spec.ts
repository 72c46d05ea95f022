import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { hashSecret } from '../src/tokens/token-secret';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createUnexpiringBusiness,
  createMachine,
  createToken,
  TokenView as View,
} from './factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  asPlatform,
  getToken,
  listPlatformTokens,
  listTokens,
  me,
  postToken,
  renameToken,
} from './helpers/api';
import { dbDate, dbTime as dbTimeOf, expectError } from './helpers/assertions';
import { bootTestApp, TestApp } from './helpers/test-app';
import { DRIVERS } from './setup/servers';

const DAY_MS = 24 * 60 * 60 * 1000;
const SECRET_PATTERN = /^lk_[0-9A-Za-z]{36}$/;

type Row = Record<string, unknown>;

/** Asserts a 422 whose detail has an issue located at `loc`. */
function expectValidation(res: Response, loc: (string | number)[]): void {
  expectError(res, 422, 'VALIDATION_ERROR');
  const locs = (res.body.detail as { loc: (string | number)[] }[]).map((d) => d.loc);
  expect(locs).toContainEqual(loc);
}

/** The scopes column (JSON text) read back. */
function scopesOf(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

describe.each(DRIVERS)('Tokens API on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // No verifier caching, so rows edited directly in SQL are seen on the next request.
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
  });
  afterAll(() => t.close());

  const dbTime = (date: Date) => dbTimeOf(t.driver, date);

  const row = async (id: string): Promise<Row | undefined> =>
    (await t.sql('SELECT * FROM api_tokens WHERE id = ?', [id]))[0];

  const countTokens = async (businessId: string): Promise<number> => {
    const rows = await t.sql<{ n: unknown }>(
      'SELECT COUNT(*) AS n FROM api_tokens WHERE business_id = ?',
      [businessId],
    );
    return Number(rows[0].n);
  };

  const ids = (res: Response): string[] => (res.body.data.items as View[]).map((v) => v.id);

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

  describe('GET /api/v1/tokens', () => {
    let biz: BusinessFixture;
    beforeEach(async () => {
      biz = await createBusiness(t);
    });

    it('shows a member only their own tokens', async () => {
      const member = await addMember(t, biz, 'member');
      const { view: mine } = await createToken(t, asMember(member.token, biz.id), {
        name: 'member-made',
      });
      await createToken(t, asOwner(biz), { name: 'owner-made' });

      const res = await listTokens(t, asMember(member.token, biz.id)).expect(200);
      expect(res.body).toMatchObject({ success: true, data: { next_cursor: null } });
      const items = res.body.data.items as View[];
      expect(items).toHaveLength(2);
      expect(items.every((v) => v.identity_id === member.identityId)).toBe(true);
      expect(ids(res)).toContain(mine.id);
      expect(JSON.stringify(res.body)).not.toContain('token_hash');
      expect(JSON.stringify(res.body)).not.toMatch(/[0-9a-f]{64}/i);
    });

    it("gives a member an empty list when they filter on someone else's identity_id", async () => {
      const member = await addMember(t, biz, 'member');
      const res = await listTokens(t, asMember(member.token, biz.id), {
        identity_id: biz.ownerId,
      }).expect(200);
      expect(res.body.data).toEqual({ items: [], next_cursor: null });
    });

    it('shows an owner every token of the business and none of another', async () => {
      const member = await addMember(t, biz, 'member');
      const { view: memberToken } = await createToken(t, asMember(member.token, biz.id), {
        name: 'member-made',
      });
      const { view: ownerToken } = await createToken(t, asOwner(biz), { name: 'owner-made' });
      const other = await createBusiness(t);
      const { view: foreign } = await createToken(t, asOwner(other), { name: 'foreign' });

      const res = await listTokens(t, asOwner(biz)).expect(200);
      const items = res.body.data.items as View[];
      // owner first token, member first token, and the two made here
      expect(items).toHaveLength(4);
      expect(items.every((v) => v.business_id === biz.id)).toBe(true);
      expect(ids(res)).toEqual(expect.arrayContaining([memberToken.id, ownerToken.id]));
      expect(ids(res)).not.toContain(foreign.id);
      const owners = new Set(items.map((v) => v.identity_id));
      expect(owners).toEqual(new Set([biz.ownerId, member.identityId]));
    });

    it('filters by status: active, revoked and expired', async () => {
      const { view: active } = await createToken(t, asOwner(biz), { name: 'stays-active' });
      const { view: revoked } = await createToken(t, asOwner(biz), { name: 'gets-revoked' });
      const { view: expired } = await createToken(t, asOwner(biz), { name: 'gets-expired' });
      await t.sql(
        'UPDATE api_tokens SET revoked_at = ?, revoked_by = ?, revocation_reason = ? WHERE id = ?',
        [dbTime(new Date(Date.now() - 1000)), 'test', 'by test', revoked.id],
      );
      await t.sql('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
        dbTime(new Date(Date.now() - 60_000)),
        expired.id,
      ]);

      const act = await listTokens(t, asOwner(biz), { status: 'active' }).expect(200);
      expect(ids(act)).toContain(active.id);
      expect(ids(act)).not.toContain(revoked.id);
      expect(ids(act)).not.toContain(expired.id);
      expect((act.body.data.items as View[]).every((v) => v.status === 'active')).toBe(true);
      expect(ids(act)).toHaveLength(2); // plus the owner's first token

      const rev = await listTokens(t, asOwner(biz), { status: 'revoked' }).expect(200);
      expect(ids(rev)).toEqual([revoked.id]);
      expect(rev.body.data.items[0]).toMatchObject({
        status: 'revoked',
        revoked_by: 'test',
        revocation_reason: 'by test',
      });

      const exp = await listTokens(t, asOwner(biz), { status: 'expired' }).expect(200);
      expect(ids(exp)).toEqual([expired.id]);
      expect(exp.body.data.items[0].status).toBe('expired');
    });

    it('filters by identity_id for an owner', async () => {
      const member = await addMember(t, biz, 'member');
      const { view } = await createToken(t, asMember(member.token, biz.id), {
        name: 'member-made',
      });
      await createToken(t, asOwner(biz), { name: 'owner-made' });
      const res = await listTokens(t, asOwner(biz), {
        identity_id: member.identityId,
      }).expect(200);
      const items = res.body.data.items as View[];
      expect(items).toHaveLength(2);
      expect(items.every((v) => v.identity_id === member.identityId)).toBe(true);
      expect(ids(res)).toContain(view.id);
    });

    it('filters by name prefix', async () => {
      const { view: a } = await createToken(t, asOwner(biz), { name: 'ci-alpha' });
      const { view: b } = await createToken(t, asOwner(biz), { name: 'ci-beta' });
      await createToken(t, asOwner(biz), { name: 'deploy-ci' });
      const res = await listTokens(t, asOwner(biz), { name: 'ci-' }).expect(200);
      expect(ids(res).sort()).toEqual([a.id, b.id].sort());
    });

    it('treats % in the name prefix literally', async () => {
      const { view: pct } = await createToken(t, asOwner(biz), { name: 'pct%one' });
      await createToken(t, asOwner(biz), { name: 'pctXone' });
      await createToken(t, asOwner(biz), { name: 'pct-two' });
      const res = await listTokens(t, asOwner(biz), { name: 'pct%' }).expect(200);
      expect(ids(res)).toEqual([pct.id]);
      const none = await listTokens(t, asOwner(biz), { name: '%' }).expect(200);
      expect(ids(none)).toEqual([]);
    });

    it('pages with a keyset cursor: limit=2 visits every token once', async () => {
      for (let i = 0; i < 5; i++) await createToken(t, asOwner(biz), { name: `page-${i}` });
      const all = await listTokens(t, asOwner(biz)).expect(200);
      expect(ids(all)).toHaveLength(6);
      expect(all.body.data.next_cursor).toBeNull();

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: Record<string, string> = { limit: '2' };
        if (cursor) query.cursor = cursor;
        const res = await listTokens(t, asOwner(biz), query).expect(200);
        expect(res.body.data.items.length).toBeLessThanOrEqual(2);
        seen.push(...ids(res));
        cursor = res.body.data.next_cursor as string | null;
        pages++;
        expect(pages).toBeLessThan(10);
      } while (cursor);
      expect(pages).toBe(3);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(ids(all));
    });

    it('answers a bad status with 422 located in the query', async () => {
      const res = await listTokens(t, asOwner(biz), { status: 'zombie' });
      expectValidation(res, ['query', 'status']);
    });
  });

  describe('GET /api/v1/tokens/{token_id}', () => {
    let biz: BusinessFixture;
    beforeEach(async () => {
      biz = await createBusiness(t);
    });

    it('shows a member their own token', async () => {
      const member = await addMember(t, biz, 'member');
      const { view } = await createToken(t, asMember(member.token, biz.id), {
        name: 'mine',
        scopes: [],
      });
      const res = await getToken(t, asMember(member.token, biz.id), view.id).expect(200);
      expect(res.body).toMatchObject({ success: true });
      expect(res.body.data).toEqual(view);
      expect(res.body.data).not.toHaveProperty('token');
      expect(res.body.data).not.toHaveProperty('token_hash');
    });

    it("answers another member's token with 404 TOKEN_NOT_FOUND, never 403", async () => {
      const alice = await addMember(t, biz, 'member');
      const bob = await addMember(t, biz, 'member');
      const { view } = await createToken(t, asMember(bob.token, biz.id), { name: 'bobs' });
      expectError(
        await getToken(t, asMember(alice.token, biz.id), view.id),
        404,
        'TOKEN_NOT_FOUND',
      );
      const { view: owners } = await createToken(t, asOwner(biz), { name: 'owners' });
      expectError(
        await getToken(t, asMember(alice.token, biz.id), owners.id),
        404,
        'TOKEN_NOT_FOUND',
      );
    });

    it('answers a token of another business with 404, even for an owner', async () => {
      const other = await createBusiness(t);
      const { view } = await createToken(t, asOwner(other), { name: 'foreign' });
      expectError(await getToken(t, asOwner(biz), view.id), 404, 'TOKEN_NOT_FOUND');
      expectError(
        await getToken(t, asMember(other.ownerToken, biz.id), view.id),
        403,
        'BUSINESS_MISMATCH',
      );
      await getToken(t, asOwner(other), view.id).expect(200);
    });

    it('answers an unknown id with 404 TOKEN_NOT_FOUND', async () => {
      expectError(await getToken(t, asOwner(biz), randomUUID()), 404, 'TOKEN_NOT_FOUND');
    });

    it('answers a malformed id with 422 located in the path', async () => {
      const res = await getToken(t, asOwner(biz), 'not-a-uuid');
      expectValidation(res, ['path', 'token_id']);
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

  describe('an admin whose token lacks tokens:admin', () => {
    it("sees only their own tokens and gets 404 for the owner's token", async () => {
      const biz = await createBusiness(t);
      const admin = await addMember(t, biz, 'admin');
      const { secret: scoped, view: scopedView } = await createToken(
        t,
        asMember(admin.token, biz.id),
        {
          name: 'members-only',
          scopes: ['members:write'],
        },
      );
      const { view: ownerView } = await createToken(t, asOwner(biz), { name: 'owners' });

      const res = await listTokens(t, asMember(scoped, biz.id)).expect(200);
      const items = res.body.data.items as View[];
      expect(items.length).toBeGreaterThanOrEqual(2);
      expect(items.every((v) => v.identity_id === admin.identityId)).toBe(true);
      expect(ids(res)).toContain(scopedView.id);
      expect(ids(res)).not.toContain(ownerView.id);

      const one = await getToken(t, asMember(scoped, biz.id), ownerView.id);
      expectError(one, 404, 'TOKEN_NOT_FOUND');

      // With the unrestricted first token, the same admin sees everything.
      const full = await listTokens(t, asMember(admin.token, biz.id)).expect(200);
      expect(ids(full)).toContain(ownerView.id);
    });
  });

  describe('GET /platform/v1/tokens', () => {
    it('lists tokens across businesses, and business_id narrows', async () => {
      const a = await createBusiness(t);
      const b = await createBusiness(t);
      const prefix = `plat-${randomUUID().slice(0, 8)}-`;
      const { view: inA } = await createToken(t, asOwner(a), { name: `${prefix}a` });
      const { view: inB } = await createToken(t, asOwner(b), { name: `${prefix}b` });

      const res = await listPlatformTokens(t, asPlatform(t), { name: prefix }).expect(200);
      expect(res.body).toMatchObject({ success: true, data: { next_cursor: null } });
      expect(ids(res).sort()).toEqual([inA.id, inB.id].sort());
      expect(JSON.stringify(res.body)).not.toMatch(/[0-9a-f]{64}/i);

      const narrowed = await listPlatformTokens(t, asPlatform(t), {
        name: prefix,
        business_id: a.id,
      }).expect(200);
      expect(ids(narrowed)).toEqual([inA.id]);

      const whole = await listPlatformTokens(t, asPlatform(t), { business_id: b.id }).expect(200);
      const items = whole.body.data.items as View[];
      expect(items).toHaveLength(2);
      expect(items.every((v) => v.business_id === b.id)).toBe(true);
    });

    it('refuses a business token with 403 PLATFORM_ADMIN_REQUIRED', async () => {
      const biz = await createBusiness(t);
      const res = await listPlatformTokens(t, asBearer(biz.ownerToken));
      expectError(res, 403, 'PLATFORM_ADMIN_REQUIRED');
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

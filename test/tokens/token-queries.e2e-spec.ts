import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
  TokenView as View,
} from '../factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  asPlatform,
  getToken,
  listPlatformTokens,
  listTokens,
} from '../harness/app/api';
import { dbTime as dbTimeOf, expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { expectValidation } from '../harness/app/token-checks';
import { DRIVERS } from '../setup/servers';

describe.each(DRIVERS)('Token queries on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // No verifier caching, so rows edited directly in SQL are seen on the next request.
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
  });
  afterAll(() => t?.close());

  const dbTime = (date: Date) => dbTimeOf(t.driver, date);
  const ids = (res: Response): string[] => (res.body.data.items as View[]).map((v) => v.id);

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
      // The view, and where its status is published (test/tokens/status checks the entry).
      expect(res.body.data).toEqual({ ...view, status_list: expect.any(Object) });
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
});

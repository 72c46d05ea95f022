import { randomUUID } from 'node:crypto';
import { EdgeVerifier } from '../../packages/client/src/verifier';
import { SECOND, T0, useEdgeVerifier, validAndRevokedUnderGrace } from './edge-verifier-fixtures';

/**
 * The EdgeVerifier on what its status list cannot decide: tokens Latchkey must check online
 * (X-Latchkey-Check-Online), claims it keeps no longer than claimsMaxAgeSeconds, and the business
 * and scopes a check requires.
 */
describe(EdgeVerifier.name, () => {
  const t = useEdgeVerifier();

  describe('constraints a list cannot carry (X-Latchkey-Check-Online)', () => {
    it('verifies a token bound to networks online on every call: its list never decides', async () => {
      const [token, row] = t.latchkey.issue({ allowedCidrs: ['127.0.0.1/32'] });

      for (let i = 0; i < 3; i++) {
        expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
        expect(t.sut.checkCached(token)).toBeUndefined();
      }
      // Its networks narrowed to where this caller is not: the list still says valid.
      row.allowedCidrs = ['10.0.0.1/32'];

      const refused = { valid: false, reason: 'forbidden', status: 403, code: 'IP_NOT_ALLOWED' };
      expect(await t.sut.verify(token)).toEqual(refused);
      expect(await t.sut.verify(token)).toEqual(refused);
      expect(t.latchkey.calls).toMatchObject({ verify: 5, list: 0 });
      expect(t.latchkey.lastVerify['x-latchkey-check-online']).toBeUndefined();
    });

    it('verifies a rate-limited token online on every call, so each spends its limit', async () => {
      const [token] = t.latchkey.issue({ rateLimitPerMinute: 3 });
      await t.sut.verify(token);

      const results = await Promise.all(Array.from({ length: 3 }, () => t.sut.verify(token)));

      expect(results.map((r) => r.valid)).toEqual([true, true, false]);
      expect(results[2]).toEqual({
        valid: false,
        reason: 'rate_limited',
        status: 429,
        code: 'RATE_LIMITED',
        retryAfter: 60,
      });
      expect(t.latchkey.calls).toMatchObject({ verify: 4, list: 0 });
      t.later(60 * SECOND);
      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
    });

    it('makes each first check of such a token its own call, as for a uses limit', async () => {
      const [token] = t.latchkey.issue({ rateLimitPerMinute: 100 });

      await Promise.all(Array.from({ length: 4 }, () => t.sut.verify(token)));

      expect(t.latchkey.calls.verify).toBe(4);
    });

    it('never passes such a token while Latchkey cannot be reached, whatever its list said', async () => {
      const [token] = t.latchkey.issue({ allowedCidrs: ['127.0.0.1/32'], rateLimitPerMinute: 100 });
      const [plain] = t.latchkey.issue();
      await t.sut.verify(token);
      await t.sut.verify(plain);
      await t.sut.verify(plain);
      t.latchkey.mode = 'down';

      expect(await t.sut.verify(token)).toMatchObject({ valid: false, reason: 'unreachable' });
      expect(await t.sut.verify(plain)).toMatchObject({ valid: true, source: 'list' });
    });

    it('goes online for a word it does not know yet', async () => {
      t.latchkey.checkOnlineHeader = 'geo';
      const [token] = t.latchkey.issue();
      await t.sut.verify(token);
      await t.sut.verify(token);

      expect(t.latchkey.calls).toMatchObject({ verify: 2, list: 0 });
    });

    it('from a Latchkey that sends no such header, goes online for a uses limit alone', async () => {
      t.latchkey.checkOnlineHeader = null;
      const [limited] = t.latchkey.issue({ usesRemaining: 10 });
      const [plain] = t.latchkey.issue();
      for (let i = 0; i < 3; i++) {
        expect(await t.sut.verify(limited)).toMatchObject({ valid: true, source: 'online' });
        await t.sut.verify(plain);
      }

      expect(t.latchkey.calls).toMatchObject({ verify: 4, list: 1 });
    });
  });

  describe('claims kept no longer than claimsMaxAgeSeconds', () => {
    it('asks Latchkey again once they are that old, and uses the scopes it now answers', async () => {
      const [token, row] = t.latchkey.issue({ scopes: ['orders:read', 'audit:read'] });
      await t.sut.verify(token);
      await t.sut.verify(token);
      // A demotion: the holder's role no longer holds audit:read. No list says so.
      row.scopes = ['orders:read'];

      t.later(299 * SECOND);
      expect(await t.sut.verify(token)).toMatchObject({
        source: 'list',
        scopes: ['orders:read', 'audit:read'],
      });
      expect(t.latchkey.calls.verify).toBe(1);
      t.later(1 * SECOND);
      expect(t.sut.checkCached(token)).toBeUndefined();

      expect(await t.sut.verify(token)).toMatchObject({
        valid: true,
        source: 'online',
        scopes: ['orders:read'],
      });
      expect(t.latchkey.calls.verify).toBe(2);
      expect(await t.sut.verify(token, { requireScopes: ['audit:read'] })).toEqual({
        valid: false,
        reason: 'forbidden',
        status: 403,
        code: 'INSUFFICIENT_SCOPE',
      });
      expect(await t.sut.verify(token)).toMatchObject({ source: 'list', scopes: ['orders:read'] });
      expect(t.latchkey.calls.verify).toBe(3);
    });

    it('shares that one call among the checks that come at once', async () => {
      t.sut = t.verifier({ claimsMaxAgeSeconds: 30 });
      const [token, row] = t.latchkey.issue({ scopes: ['orders:read'] });
      await t.sut.verify(token);
      await t.sut.verify(token);
      row.scopes = [];
      t.later(30 * SECOND);

      const results = await Promise.all(Array.from({ length: 20 }, () => t.sut.verify(token)));

      expect(results.every((r) => r.valid && r.scopes?.length === 0)).toBe(true);
      expect(t.latchkey.calls.verify).toBe(2);
    });

    it("forgets Latchkey's answers on requirements just as old, whatever renewed the claims", async () => {
      const [token, row] = t.latchkey.issue({ scopes: null });
      expect(await t.sut.verify(token, { requireScopes: ['audit:read'] })).toMatchObject({
        valid: true,
      });
      expect(await t.sut.verify(token, { requireScopes: ['audit:read'] })).toMatchObject({
        source: 'list',
      });
      row.roleDenies = ['audit:read'];
      t.later(300 * SECOND);
      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'online' });

      expect(await t.sut.verify(token, { requireScopes: ['audit:read'] })).toEqual({
        valid: false,
        reason: 'forbidden',
        status: 403,
        code: 'INSUFFICIENT_SCOPE',
      });
      expect(t.latchkey.calls.verify).toBe(3);
    });

    it('forgets them too when other calls kept renewing the claims meanwhile', async () => {
      const [token, row] = t.latchkey.issue({ scopes: null });
      await t.sut.verify(token, { requireScopes: ['audit:read'] });
      t.later(200 * SECOND);
      // Another requirement, asked of Latchkey: fresh claims, and the old answer carried over.
      await t.sut.verify(token, { requireScopes: ['orders:read'] });
      expect(await t.sut.verify(token, { requireScopes: ['audit:read'] })).toMatchObject({
        source: 'list',
      });
      row.roleDenies = ['audit:read'];
      t.later(100 * SECOND);

      expect(await t.sut.verify(token, { requireScopes: ['audit:read'] })).toEqual({
        valid: false,
        reason: 'forbidden',
        status: 403,
        code: 'INSUFFICIENT_SCOPE',
      });
      expect(t.latchkey.calls.verify).toBe(3);
    });

    it('while Latchkey cannot be reached, passes a known valid token under the grace, never a revoked one', async () => {
      const { token, revoked, fetchedAt } = await validAndRevokedUnderGrace(t);
      // 503 to everything: Latchkey counts none of it, the verifier counts its tries.
      t.latchkey.mode = 'down';

      t.clock = T0 + 300 * SECOND;
      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(await t.sut.verify(revoked)).toMatchObject({ reason: 'revoked' });
      expect(t.sut.stats().onlineVerifies).toBe(3);
      // The next try backs off: checks meanwhile answer from memory, with no call.
      expect(t.sut.checkCached(token)).toMatchObject({ valid: true, source: 'list' });
      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(t.sut.stats().onlineVerifies).toBe(3);

      t.clock = fetchedAt + 599 * SECOND;
      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      t.clock = fetchedAt + 600 * SECOND;
      expect(await t.sut.verify(token)).toEqual({ valid: false, reason: 'unreachable' });

      t.latchkey.mode = 'up';
      t.later(30 * SECOND);
      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
    });
  });

  describe('the business and the scopes a check requires', () => {
    it('refuses another business, and a platform token where a business is named, from the claims', async () => {
      const [token, row] = t.latchkey.issue();
      const [platform] = t.latchkey.issue({ businessId: null });
      await t.sut.verify(token);
      await t.sut.verify(platform);

      expect(
        await t.sut.verify(token, { businessId: row.businessId!.toUpperCase() }),
      ).toMatchObject({
        valid: true,
      });
      expect(await t.sut.verify(token, { businessId: randomUUID() })).toEqual({
        valid: false,
        reason: 'forbidden',
        code: 'BUSINESS_MISMATCH',
      });
      expect(await t.sut.verify(platform, { businessId: row.businessId! })).toEqual({
        valid: false,
        reason: 'forbidden',
        code: 'BUSINESS_MISMATCH',
      });
      expect(t.latchkey.calls.verify).toBe(2);
    });

    it('sends the requirement on the first call, so Latchkey decides it', async () => {
      const [token, row] = t.latchkey.issue({ scopes: ['orders:read'] });

      expect(
        await t.sut.verify(token, { businessId: row.businessId!, requireScopes: ['billing:read'] }),
      ).toEqual({ valid: false, reason: 'forbidden', status: 403, code: 'INSUFFICIENT_SCOPE' });
      expect(t.latchkey.lastVerify).toMatchObject({
        'x-latchkey-business': row.businessId,
        'x-latchkey-require-scope': 'billing:read',
      });
    });

    it('settles from the claims what `a:*` and equal scopes cover, and asks Latchkey the rest once', async () => {
      const [token] = t.latchkey.issue({ scopes: ['orders:*', 'deploy:write'] });
      await t.sut.verify(token);

      expect(
        await t.sut.verify(token, { requireScopes: ['orders:read', 'deploy:write'] }),
      ).toMatchObject({ valid: true, source: 'list' });
      expect(await t.sut.verify(token, { requireScopes: ['orders:refunds:write'] })).toMatchObject({
        valid: true,
      });
      expect(t.latchkey.calls.verify).toBe(1);

      expect(await t.sut.verify(token, { requireScopes: ['deploy:read'] })).toEqual({
        valid: false,
        reason: 'forbidden',
        status: 403,
        code: 'INSUFFICIENT_SCOPE',
      });
      expect(await t.sut.verify(token, { requireScopes: ['deploy:read'] })).toEqual({
        valid: false,
        reason: 'forbidden',
        code: 'INSUFFICIENT_SCOPE',
      });
      expect(t.latchkey.calls.verify).toBe(2);
    });

    it('asks Latchkey about an unrestricted token (its role decides), once per requirement', async () => {
      const [token] = t.latchkey.issue({ scopes: null, roleDenies: ['audit:read'] });
      await t.sut.verify(token);

      for (let i = 0; i < 3; i++) {
        expect(await t.sut.verify(token, { requireScopes: ['audit:read'] })).toMatchObject({
          valid: false,
          reason: 'forbidden',
        });
        expect(await t.sut.verify(token, { requireScopes: ['orders:read'] })).toMatchObject({
          valid: true,
        });
      }

      expect(t.latchkey.calls.verify).toBe(3);
      expect(t.sut.checkCached(token, { requireScopes: ['orders:read'] })).toMatchObject({
        valid: true,
      });
      expect(t.sut.checkCached(token, { requireScopes: ['orders:write'] })).toBeUndefined();
    });

    it('still refuses a revoked token whatever the requirement', async () => {
      const [token, row] = t.latchkey.issue({ scopes: ['orders:*'] });
      await t.sut.verify(token, { requireScopes: ['orders:read'] });
      row.status = 1;
      t.later(60 * SECOND);

      expect(await t.sut.verify(token, { requireScopes: ['orders:read'] })).toMatchObject({
        reason: 'revoked',
      });
    });

    it.each([
      [{ businessId: 'acme' }],
      [{ requireScopes: ['Orders:Read'] }],
      [{ requireScopes: ['orders:read deploy:write'] }],
      [{ requireScopes: ['*'] }],
      [{ requireScopes: ['a'.repeat(129)] }],
    ])('throws on a requirement Latchkey would refuse as malformed: %j', async (options) => {
      await expect(t.sut.verify('lk_any', options)).rejects.toThrow(TypeError);
      expect(t.latchkey.calls.verify).toBe(0);
    });

    it('refuses from memory with the code Latchkey answers the same check with: BUSINESS_MISMATCH, INSUFFICIENT_SCOPE', async () => {
      const [token, row] = t.latchkey.issue({ scopes: ['orders:read'] });
      const [platform] = t.latchkey.issue({ businessId: null, scopes: ['orders:read'] });
      const another = randomUUID();
      const otherBusiness = { businessId: another };
      const ofItsBusiness = { businessId: row.businessId!, requireScopes: ['billing:read'] };

      // What Latchkey itself answers, asked: a verifier that has not seen the tokens.
      expect(await t.sut.verify(token, otherBusiness)).toEqual({
        valid: false,
        reason: 'forbidden',
        status: 403,
        code: 'BUSINESS_MISMATCH',
      });
      expect(await t.sut.verify(platform, otherBusiness)).toEqual({
        valid: false,
        reason: 'forbidden',
        status: 403,
        code: 'BUSINESS_MISMATCH',
      });
      expect(await t.sut.verify(token, ofItsBusiness)).toEqual({
        valid: false,
        reason: 'forbidden',
        status: 403,
        code: 'INSUFFICIENT_SCOPE',
      });
      expect(t.latchkey.calls.verify).toBe(3);

      // Then from memory: the token's list fetched, the business and the scope settled with no call.
      t.sut = t.verifier();
      for (const known of [token, platform]) {
        await t.sut.verify(known);
        expect(await t.sut.verify(known)).toMatchObject({ valid: true, source: 'list' });
      }
      expect(await t.sut.verify(token, ofItsBusiness)).toMatchObject({ status: 403 });
      const calls = { ...t.latchkey.calls };

      const business = await t.sut.verify(token, otherBusiness);
      expect(business).toEqual({ valid: false, reason: 'forbidden', code: 'BUSINESS_MISMATCH' });
      expect(await t.sut.verify(platform, otherBusiness)).toBe(business);
      expect(t.sut.checkCached(token, otherBusiness)).toBe(business);
      const scope = await t.sut.verify(token, ofItsBusiness);
      expect(scope).toEqual({ valid: false, reason: 'forbidden', code: 'INSUFFICIENT_SCOPE' });
      expect(t.sut.checkCached(token, { requireScopes: ['billing:read'] })).toBe(scope);
      expect(Object.isFrozen(business) && Object.isFrozen(scope)).toBe(true);
      expect(t.latchkey.calls).toEqual(calls);
      expect(t.sut.stats().onlineVerifies).toBe(3);
    });
  });
});

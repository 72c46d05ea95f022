import {
  EdgeVerifier,
  type EdgeVerified,
  type EdgeVerifyResult,
} from '../../packages/client/src/verifier';
import { SECOND, T0, useEdgeVerifier } from './edge-verifier-fixtures';
import { metaHeaderOf } from './fake-latchkey';

/**
 * The typed client's EdgeVerifier against a Latchkey of the test's own
 * (edge-verifier-fixtures.ts): the first check of a token online, then its status list, fetched
 * once per its ttl; what the list says of a token later (revoked, suspended, expired); uses
 * limits; and what it answers from memory.
 */
describe(EdgeVerifier.name, () => {
  const t = useEdgeVerifier();

  describe('one call per token', () => {
    it('asks Latchkey the first time, then answers from the list, fetched once with its key set', async () => {
      const [token, row] = t.latchkey.issue({ scopes: ['orders:read'] });

      expect(await t.sut.verify(token)).toEqual({
        valid: true,
        tokenId: row.id,
        businessId: row.businessId,
        identityId: row.identityId,
        identityType: 'user',
        scopes: ['orders:read'],
        expiresAt: null,
        meta: null,
        source: 'online',
      });
      for (let i = 0; i < 5; i++) {
        expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      }

      expect(t.latchkey.calls).toEqual({ verify: 1, list: 1, jwks: 1 });
      expect(t.sut.stats()).toEqual({
        onlineVerifies: 1,
        listFetches: 1,
        jwksFetches: 1,
        cacheHits: 4,
        listsRefused: 0,
      });
    });

    it('passes on the claims as Latchkey states them: a platform token, unrestricted, expiring', async () => {
      const expiresAt = new Date(T0 + 3600 * SECOND);
      const [token, row] = t.latchkey.issue({
        businessId: null,
        identityType: 'machine',
        scopes: null,
        expiresAt,
      });
      const [none] = t.latchkey.issue({ scopes: [] });

      expect(await t.sut.verify(token)).toEqual({
        valid: true,
        tokenId: row.id,
        businessId: null,
        identityId: row.identityId,
        identityType: 'machine',
        scopes: null,
        expiresAt,
        meta: null,
        source: 'online',
      });
      expect(await t.sut.verify(none)).toMatchObject({ valid: true, scopes: [] });
    });

    it('makes one call for many checks at once of a token it has not seen', async () => {
      const [token] = t.latchkey.issue();

      const results = await Promise.all(Array.from({ length: 20 }, () => t.sut.verify(token)));

      expect(results.every((r) => r.valid)).toBe(true);
      expect(t.latchkey.calls.verify).toBe(1);
    });

    it('fetches a list once per its ttl for all of its tokens, checks at once sharing the fetch', async () => {
      const tokens = Array.from({ length: 5 }, () => t.latchkey.issue()[0]);
      for (const token of tokens) await t.sut.verify(token);

      const check = () =>
        Promise.all(tokens.flatMap((token) => [t.sut.verify(token), t.sut.verify(token)]));
      expect((await check()).every((r) => r.valid)).toBe(true);
      t.later(59 * SECOND);
      await check();
      expect(t.latchkey.calls.list).toBe(1);
      t.later(1 * SECOND);
      await check();

      expect(t.latchkey.calls).toEqual({ verify: 5, list: 2, jwks: 1 });
    });

    it('renews an unchanged list with its ETag (304)', async () => {
      const [token] = t.latchkey.issue();
      await t.sut.verify(token);
      await t.sut.verify(token);
      const etag = t.latchkey.lastEtag;

      t.later(60 * SECOND);

      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(t.latchkey.lastList['if-none-match']).toBe(etag);
      expect(t.latchkey.calls.list).toBe(2);
      expect(t.sut.checkCached(token)).toMatchObject({ valid: true });
    });

    it('forgets the least recently checked tokens beyond maxTokens', async () => {
      t.sut = t.verifier({ maxTokens: 2 });
      const [a, b, c] = [t.latchkey.issue()[0], t.latchkey.issue()[0], t.latchkey.issue()[0]];
      for (const token of [a, b, c, a]) await t.sut.verify(token);

      expect(t.latchkey.calls.verify).toBe(4);
    });

    it('speaks to an installation that sets VERIFY_GATEWAY_SECRET and VERIFY_TOKEN_HEADER', async () => {
      t.latchkey.gatewaySecret = 'a-shared-secret-of-the-gateway';
      t.latchkey.tokenHeader = 'x-api-key';
      const [token] = t.latchkey.issue();
      // Latchkey refused this service, not the token: a setting of the service is wrong.
      const refused = { reason: 'misconfigured', status: 403, code: 'GATEWAY_NOT_TRUSTED' };
      expect(await t.sut.verify(token)).toEqual({ valid: false, ...refused });
      expect(await t.sut.check()).toEqual({ ok: false, ...refused });

      t.sut = t.verifier({
        gatewaySecret: 'a-shared-secret-of-the-gateway',
        tokenHeader: 'X-API-Key',
      });

      expect(await t.sut.check()).toEqual({ ok: true });
      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
      expect(t.latchkey.lastVerify.authorization).toBeUndefined();
    });

    it.each([
      [{ baseUrl: 'ftp://latchkey.example.com' }],
      [{ baseUrl: 'not a url' }],
      [{ offlineGraceSeconds: -1 }],
      [{ claimsMaxAgeSeconds: 0 }],
      [{ claimsMaxAgeSeconds: Number.NaN }],
      [{ maxTokens: 0 }],
      [{ requestTimeoutMs: Number.NaN }],
      [{ tokenHeader: 'X API Key' }],
    ])('refuses to start with %j', (options) => {
      expect(() => t.verifier(options)).toThrow(TypeError);
    });

    it('refuses a string that cannot be a token, without a call', async () => {
      for (const token of ['', 'lk_ab cd', 'lk_ab\ncd', 'lk_é', 'x'.repeat(513)]) {
        expect(await t.sut.verify(token)).toEqual({ valid: false, reason: 'invalid' });
      }
      expect(t.latchkey.calls.verify).toBe(0);
    });

    it('refuses a token Latchkey does not know, and asks again next time (nothing is kept of it)', async () => {
      expect(await t.sut.verify('lk_unknown')).toEqual({
        valid: false,
        reason: 'invalid',
        status: 401,
        code: 'INVALID_TOKEN',
      });
      await t.sut.verify('lk_unknown');
      expect(t.latchkey.calls.verify).toBe(2);
    });
  });

  describe('revocation, suspension, expiry', () => {
    it('sees a revocation within the ttl plus one fetch, with no further call to /auth/verify', async () => {
      const [token, row] = t.latchkey.issue();
      await t.sut.verify(token);
      await t.sut.verify(token);

      row.status = 1;
      t.later(59 * SECOND);
      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      t.later(1 * SECOND);

      expect(await t.sut.verify(token)).toEqual({ valid: false, reason: 'revoked' });
      expect(t.latchkey.calls).toMatchObject({ verify: 1, list: 2 });
    });

    it('never un-revokes: a later list that says valid again is not believed', async () => {
      const [token, row] = t.latchkey.issue();
      const [other] = t.latchkey.issue();
      await t.sut.verify(token);
      await t.sut.verify(other);
      row.status = 1;
      t.later(60 * SECOND);
      expect(await t.sut.verify(token)).toMatchObject({ reason: 'revoked' });

      row.status = 0;
      t.later(60 * SECOND);
      // The other token's check fetches the list that says valid at the revoked token's place.
      expect(await t.sut.verify(other)).toMatchObject({ valid: true, source: 'list' });
      expect(t.latchkey.calls.list).toBe(2);

      expect(await t.sut.verify(token)).toMatchObject({ reason: 'revoked' });
      expect(t.sut.checkCached(token)).toMatchObject({ reason: 'revoked' });
      expect(t.latchkey.calls.verify).toBe(2);
    });

    it('keeps a revocation Latchkey answered online, and asks no more', async () => {
      const [token, row] = t.latchkey.issue();
      row.status = 1;

      expect(await t.sut.verify(token)).toEqual({
        valid: false,
        reason: 'revoked',
        status: 401,
        code: 'TOKEN_REVOKED',
      });
      // Then from memory: the revocation kept, which no list or answer undoes.
      expect(await t.sut.verify(token)).toEqual({ valid: false, reason: 'revoked' });
      expect(t.latchkey.calls.verify).toBe(1);
    });

    it('refuses a suspended token, and passes it again once the list says it is resumed', async () => {
      const [token, row] = t.latchkey.issue();
      await t.sut.verify(token);
      row.status = 2;
      t.later(60 * SECOND);
      expect(await t.sut.verify(token)).toEqual({ valid: false, reason: 'suspended' });

      row.status = 0;
      t.later(60 * SECOND);

      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(t.latchkey.calls.verify).toBe(1);
    });

    it('enforces the expiry it was told, without asking anyone', async () => {
      const [token] = t.latchkey.issue({ expiresAt: new Date(T0 + 10 * SECOND) });
      await t.sut.verify(token);
      await t.sut.verify(token);
      const calls = { ...t.latchkey.calls };

      t.later(10 * SECOND);

      expect(await t.sut.verify(token)).toEqual({ valid: false, reason: 'expired' });
      expect(t.sut.checkCached(token)).toEqual({ valid: false, reason: 'expired' });
      expect(t.latchkey.calls).toEqual(calls);
    });
  });

  describe('uses limits', () => {
    it('checks a token with a uses limit online every time: its count lives in Latchkey', async () => {
      const [token] = t.latchkey.issue({ usesRemaining: 3 });

      for (let i = 0; i < 3; i++) {
        expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
        expect(t.sut.checkCached(token)).toBeUndefined();
      }

      expect(await t.sut.verify(token)).toEqual({
        valid: false,
        reason: 'rate_limited',
        status: 429,
        code: 'USES_EXHAUSTED',
        retryAfter: 30,
      });
      expect(t.latchkey.calls).toMatchObject({ verify: 4, list: 0 });
    });

    it('spends one use per check even when checks of a token not seen yet come at once', async () => {
      const [token, row] = t.latchkey.issue({ usesRemaining: 10 });

      const results = await Promise.all(Array.from({ length: 4 }, () => t.sut.verify(token)));

      expect(results.every((r) => r.valid)).toBe(true);
      expect(t.latchkey.calls.verify).toBe(4);
      expect(row.usesRemaining).toBe(6);
    });
  });

  describe('checkCached', () => {
    it('answers from memory, with the same object each time, and undefined when it takes a call', async () => {
      const [token, row] = t.latchkey.issue();
      expect(t.sut.checkCached(token)).toBeUndefined();
      await t.sut.verify(token);
      expect(t.sut.checkCached(token)).toBeUndefined(); // the list is not fetched yet
      await t.sut.verify(token);

      const first = t.sut.checkCached(token);
      expect(first).toMatchObject({ valid: true, source: 'list', tokenId: row.id });
      expect(t.sut.checkCached(token)).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);

      t.later(60 * SECOND);
      expect(t.sut.checkCached(token)).toBeUndefined();
      const calls = { ...t.latchkey.calls };
      row.status = 1;
      await t.sut.verify(token);
      expect(t.sut.checkCached(token)).toEqual({ valid: false, reason: 'revoked' });
      expect(t.latchkey.calls.list).toBe(calls.list + 1);
    });
  });

  describe("the token's meta (X-Latchkey-Meta)", () => {
    /** The pass a result is, or the test fails there. */
    const passed = (result: EdgeVerifyResult | undefined): EdgeVerified => {
      if (!result?.valid) throw new Error(`not a pass: ${JSON.stringify(result)}`);
      return result;
    };
    /** Frozen, and every object and array in it too. */
    const deeplyFrozen = (value: unknown): boolean =>
      typeof value !== 'object' ||
      value === null ||
      (Object.isFrozen(value) && Object.values(value).every(deeplyFrozen));
    const META = { plan: 'pro', limits: { seats: 5, regions: ['eu', 'us'] }, note: 'é 🚀 "x"' };

    it('passes a token with meta with that meta, online and then from its list: one deep-frozen object', async () => {
      const [token, row] = t.latchkey.issue({ scopes: ['orders:read'], meta: META });

      const online = passed(await t.sut.verify(token));
      expect(online).toEqual({
        valid: true,
        tokenId: row.id,
        businessId: row.businessId,
        identityId: row.identityId,
        identityType: 'user',
        scopes: ['orders:read'],
        expiresAt: null,
        meta: META,
        source: 'online',
      });
      expect(t.latchkey.calls.verify).toBe(1);
      const fromList = passed(await t.sut.verify(token));
      expect(fromList).toEqual({ ...online, source: 'list' });
      expect(t.latchkey.calls).toEqual({ verify: 1, list: 1, jwks: 1 });
      expect(fromList.meta).toBe(online.meta);
      expect(passed(t.sut.checkCached(token)).meta).toBe(online.meta);
      expect(deeplyFrozen(online.meta)).toBe(true);
      expect(online.meta).not.toBe(row.meta);

      // What one request's handler does to it, no later request sees.
      const meta = online.meta as typeof META;
      expect(() => (meta.plan = 'enterprise')).toThrow(TypeError);
      expect(() => (meta.limits.seats = 500)).toThrow(TypeError);
      expect(() => meta.limits.regions.push('ap')).toThrow(TypeError);
      expect(() => Object.assign(meta, { admin: true })).toThrow(TypeError);
      expect(Reflect.deleteProperty(meta, 'plan')).toBe(false);
      expect(passed(await t.sut.verify(token)).meta).toEqual(META);
      expect(t.latchkey.calls.verify).toBe(1);
    });

    it('passes a token without meta with meta null, whether the header is empty or absent', async () => {
      const [absent] = t.latchkey.issue();
      expect(passed(await t.sut.verify(absent)).meta).toBeNull();

      // As Latchkey answers for a token without meta: the header, empty.
      t.latchkey.metaHeader = '';
      const [empty] = t.latchkey.issue({ meta: { plan: 'pro' } });
      expect(passed(await t.sut.verify(empty)).meta).toBeNull();
      expect(passed(await t.sut.verify(empty))).toMatchObject({ source: 'list', meta: null });
    });

    /** The most Latchkey sends: 4096 bytes of JSON, 5,462 characters as base64url. */
    const ofBytes = (bytes: number) => ({ k: 'x'.repeat(bytes - '{"k":""}'.length) });

    it('reads a meta of 4096 bytes of JSON, 5,462 characters, the most Latchkey sends', async () => {
      t.latchkey.metaHeader = metaHeaderOf(ofBytes(4096));
      expect(t.latchkey.metaHeader).toHaveLength(5462);
      const [token] = t.latchkey.issue();

      expect(passed(await t.sut.verify(token)).meta).toEqual(ofBytes(4096));
    });

    it.each([
      // Each of these two decodes as the JSON object it encodes, were its alphabet not checked.
      ['not base64url (base64: + / =)', Buffer.from('{"q":"???>>>"}').toString('base64')],
      ['not base64url (characters beyond it)', 'eyJwbGFuIjoicHJvIn0.'],
      ['not JSON', Buffer.from('plan=pro').toString('base64url')],
      ['not whole JSON', metaHeaderOf({ plan: 'pro' }).slice(0, -2)],
      ['a JSON array', metaHeaderOf([{ plan: 'pro' }])],
      ['JSON null', metaHeaderOf(null)],
      ['a JSON string', metaHeaderOf('pro')],
      ['over 5,462 characters (4097 bytes of JSON)', metaHeaderOf(ofBytes(4097))],
    ])(
      'makes an answer whose X-Latchkey-Meta is %s unreadable: unreachable, and never a pass',
      async (_name, header) => {
        t.latchkey.metaHeader = header;
        const [token] = t.latchkey.issue({ scopes: ['orders:read'] });

        for (let i = 0; i < 3; i++) {
          expect(await t.sut.verify(token)).toEqual({
            valid: false,
            reason: 'unreachable',
            status: 204,
          });
          expect(t.sut.checkCached(token)).toBeUndefined();
        }
        // Nothing kept of it: each check asks again, and no list decides it.
        expect(t.latchkey.calls).toEqual({ verify: 3, list: 0, jwks: 0 });
      },
    );
  });
});

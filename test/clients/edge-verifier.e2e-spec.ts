import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { propertyParams, text } from '../audit/hostile-text';
import { EdgeVerifier, type EdgeVerifierOptions } from '../../clients/typescript/edge-verifier';
import { FakeLatchkey, signingKey } from './fake-latchkey';

const T0 = Date.parse('2026-01-05T12:00:00Z');
const SECOND = 1000;

/**
 * The typed client's EdgeVerifier against a Latchkey of the test's own (test/clients/fake-latchkey.ts,
 * on 127.0.0.1): one call per token, then its status list; and what an attacker between the two,
 * or a Latchkey that went away, can and cannot make it pass.
 */
describe(EdgeVerifier.name, () => {
  let clock: number;
  let latchkey: FakeLatchkey;
  let sut: EdgeVerifier;
  const now = () => clock;
  const verifier = (options: Partial<EdgeVerifierOptions> = {}) =>
    new EdgeVerifier({ baseUrl: latchkey.origin, now, ...options });
  const later = (ms: number) => (clock += ms);

  beforeEach(async () => {
    clock = T0;
    latchkey = await new FakeLatchkey(now).start();
    sut = verifier();
  });

  afterEach(() => latchkey.stop());

  describe('one call per token', () => {
    it('asks Latchkey the first time, then answers from the list, fetched once with its key set', async () => {
      const [token, row] = latchkey.issue({ scopes: ['orders:read'] });

      expect(await sut.verify(token)).toEqual({
        valid: true,
        tokenId: row.id,
        businessId: row.businessId,
        identityId: row.identityId,
        identityType: 'user',
        scopes: ['orders:read'],
        expiresAt: null,
        source: 'online',
      });
      for (let i = 0; i < 5; i++) {
        expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      }

      expect(latchkey.calls).toEqual({ verify: 1, list: 1, jwks: 1 });
      expect(sut.stats()).toEqual({
        onlineVerifies: 1,
        listFetches: 1,
        jwksFetches: 1,
        cacheHits: 4,
        listsRefused: 0,
      });
    });

    it('passes on the claims as Latchkey states them: a platform token, unrestricted, expiring', async () => {
      const expiresAt = new Date(T0 + 3600 * SECOND);
      const [token, row] = latchkey.issue({
        businessId: null,
        identityType: 'machine',
        scopes: null,
        expiresAt,
      });
      const [none] = latchkey.issue({ scopes: [] });

      expect(await sut.verify(token)).toEqual({
        valid: true,
        tokenId: row.id,
        businessId: null,
        identityId: row.identityId,
        identityType: 'machine',
        scopes: null,
        expiresAt,
        source: 'online',
      });
      expect(await sut.verify(none)).toMatchObject({ valid: true, scopes: [] });
    });

    it('makes one call for many checks at once of a token it has not seen', async () => {
      const [token] = latchkey.issue();

      const results = await Promise.all(Array.from({ length: 20 }, () => sut.verify(token)));

      expect(results.every((r) => r.valid)).toBe(true);
      expect(latchkey.calls.verify).toBe(1);
    });

    it('fetches a list once per its ttl for all of its tokens, checks at once sharing the fetch', async () => {
      const tokens = Array.from({ length: 5 }, () => latchkey.issue()[0]);
      for (const token of tokens) await sut.verify(token);

      const check = () => Promise.all(tokens.flatMap((t) => [sut.verify(t), sut.verify(t)]));
      expect((await check()).every((r) => r.valid)).toBe(true);
      later(59 * SECOND);
      await check();
      expect(latchkey.calls.list).toBe(1);
      later(1 * SECOND);
      await check();

      expect(latchkey.calls).toEqual({ verify: 5, list: 2, jwks: 1 });
    });

    it('renews an unchanged list with its ETag (304)', async () => {
      const [token] = latchkey.issue();
      await sut.verify(token);
      await sut.verify(token);
      const etag = latchkey.lastEtag;

      later(60 * SECOND);

      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(latchkey.lastList['if-none-match']).toBe(etag);
      expect(latchkey.calls.list).toBe(2);
      expect(sut.checkCached(token)).toMatchObject({ valid: true });
    });

    it('forgets the least recently checked tokens beyond maxTokens', async () => {
      sut = verifier({ maxTokens: 2 });
      const [a, b, c] = [latchkey.issue()[0], latchkey.issue()[0], latchkey.issue()[0]];
      for (const token of [a, b, c, a]) await sut.verify(token);

      expect(latchkey.calls.verify).toBe(4);
    });

    it('speaks to an installation that sets VERIFY_GATEWAY_SECRET and VERIFY_TOKEN_HEADER', async () => {
      latchkey.gatewaySecret = 'a-shared-secret-of-the-gateway';
      latchkey.tokenHeader = 'x-api-key';
      const [token] = latchkey.issue();
      expect(await sut.verify(token)).toEqual({ valid: false, reason: 'forbidden', status: 403 });

      sut = verifier({ gatewaySecret: 'a-shared-secret-of-the-gateway', tokenHeader: 'X-API-Key' });

      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
      expect(latchkey.lastVerify.authorization).toBeUndefined();
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
      expect(() => verifier(options)).toThrow(TypeError);
    });

    it('refuses a string that cannot be a token, without a call', async () => {
      for (const token of ['', 'lk_ab cd', 'lk_ab\ncd', 'lk_é', 'x'.repeat(513)]) {
        expect(await sut.verify(token)).toEqual({ valid: false, reason: 'invalid' });
      }
      expect(latchkey.calls.verify).toBe(0);
    });

    it('refuses a token Latchkey does not know, and asks again next time (nothing is kept of it)', async () => {
      expect(await sut.verify('lk_unknown')).toEqual({
        valid: false,
        reason: 'invalid',
        status: 401,
      });
      await sut.verify('lk_unknown');
      expect(latchkey.calls.verify).toBe(2);
    });
  });

  describe('revocation, suspension, expiry', () => {
    it('sees a revocation within the ttl plus one fetch, with no further call to /auth/verify', async () => {
      const [token, row] = latchkey.issue();
      await sut.verify(token);
      await sut.verify(token);

      row.status = 1;
      later(59 * SECOND);
      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      later(1 * SECOND);

      expect(await sut.verify(token)).toEqual({ valid: false, reason: 'revoked' });
      expect(latchkey.calls).toMatchObject({ verify: 1, list: 2 });
    });

    it('never un-revokes: a later list that says valid again is not believed', async () => {
      const [token, row] = latchkey.issue();
      const [other] = latchkey.issue();
      await sut.verify(token);
      await sut.verify(other);
      row.status = 1;
      later(60 * SECOND);
      expect(await sut.verify(token)).toMatchObject({ reason: 'revoked' });

      row.status = 0;
      later(60 * SECOND);
      // The other token's check fetches the list that says valid at the revoked token's place.
      expect(await sut.verify(other)).toMatchObject({ valid: true, source: 'list' });
      expect(latchkey.calls.list).toBe(2);

      expect(await sut.verify(token)).toMatchObject({ reason: 'revoked' });
      expect(sut.checkCached(token)).toMatchObject({ reason: 'revoked' });
      expect(latchkey.calls.verify).toBe(2);
    });

    it('keeps a revocation Latchkey answered online, and asks no more', async () => {
      const [token, row] = latchkey.issue();
      row.status = 1;

      expect(await sut.verify(token)).toEqual({ valid: false, reason: 'revoked', status: 401 });
      expect(await sut.verify(token)).toEqual({ valid: false, reason: 'revoked' });
      expect(latchkey.calls.verify).toBe(1);
    });

    it('refuses a suspended token, and passes it again once the list says it is resumed', async () => {
      const [token, row] = latchkey.issue();
      await sut.verify(token);
      row.status = 2;
      later(60 * SECOND);
      expect(await sut.verify(token)).toEqual({ valid: false, reason: 'suspended' });

      row.status = 0;
      later(60 * SECOND);

      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(latchkey.calls.verify).toBe(1);
    });

    it('enforces the expiry it was told, without asking anyone', async () => {
      const [token] = latchkey.issue({ expiresAt: new Date(T0 + 10 * SECOND) });
      await sut.verify(token);
      await sut.verify(token);
      const calls = { ...latchkey.calls };

      later(10 * SECOND);

      expect(await sut.verify(token)).toEqual({ valid: false, reason: 'expired' });
      expect(sut.checkCached(token)).toEqual({ valid: false, reason: 'expired' });
      expect(latchkey.calls).toEqual(calls);
    });
  });

  describe('uses limits', () => {
    it('checks a token with a uses limit online every time: its count lives in Latchkey', async () => {
      const [token] = latchkey.issue({ usesRemaining: 3 });

      for (let i = 0; i < 3; i++) {
        expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
        expect(sut.checkCached(token)).toBeUndefined();
      }

      expect(await sut.verify(token)).toEqual({
        valid: false,
        reason: 'rate_limited',
        status: 429,
        retryAfter: 30,
      });
      expect(latchkey.calls).toMatchObject({ verify: 4, list: 0 });
    });

    it('spends one use per check even when checks of a token not seen yet come at once', async () => {
      const [token, row] = latchkey.issue({ usesRemaining: 10 });

      const results = await Promise.all(Array.from({ length: 4 }, () => sut.verify(token)));

      expect(results.every((r) => r.valid)).toBe(true);
      expect(latchkey.calls.verify).toBe(4);
      expect(row.usesRemaining).toBe(6);
    });
  });

  describe('constraints a list cannot carry (X-Latchkey-Check-Online)', () => {
    it('verifies a token bound to networks online on every call: its list never decides', async () => {
      const [token, row] = latchkey.issue({ allowedCidrs: ['127.0.0.1/32'] });

      for (let i = 0; i < 3; i++) {
        expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
        expect(sut.checkCached(token)).toBeUndefined();
      }
      // Its networks narrowed to where this caller is not: the list still says valid.
      row.allowedCidrs = ['10.0.0.1/32'];

      expect(await sut.verify(token)).toEqual({ valid: false, reason: 'forbidden', status: 403 });
      expect(await sut.verify(token)).toEqual({ valid: false, reason: 'forbidden', status: 403 });
      expect(latchkey.calls).toMatchObject({ verify: 5, list: 0 });
      expect(latchkey.lastVerify['x-latchkey-check-online']).toBeUndefined();
    });

    it('verifies a rate-limited token online on every call, so each spends its limit', async () => {
      const [token] = latchkey.issue({ rateLimitPerMinute: 3 });
      await sut.verify(token);

      const results = await Promise.all(Array.from({ length: 3 }, () => sut.verify(token)));

      expect(results.map((r) => r.valid)).toEqual([true, true, false]);
      expect(results[2]).toEqual({
        valid: false,
        reason: 'rate_limited',
        status: 429,
        retryAfter: 60,
      });
      expect(latchkey.calls).toMatchObject({ verify: 4, list: 0 });
      later(60 * SECOND);
      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
    });

    it('makes each first check of such a token its own call, as for a uses limit', async () => {
      const [token] = latchkey.issue({ rateLimitPerMinute: 100 });

      await Promise.all(Array.from({ length: 4 }, () => sut.verify(token)));

      expect(latchkey.calls.verify).toBe(4);
    });

    it('never passes such a token while Latchkey cannot be reached, whatever its list said', async () => {
      const [token] = latchkey.issue({ allowedCidrs: ['127.0.0.1/32'], rateLimitPerMinute: 100 });
      const [plain] = latchkey.issue();
      await sut.verify(token);
      await sut.verify(plain);
      await sut.verify(plain);
      latchkey.mode = 'down';

      expect(await sut.verify(token)).toMatchObject({ valid: false, reason: 'unreachable' });
      expect(await sut.verify(plain)).toMatchObject({ valid: true, source: 'list' });
    });

    it('goes online for a word it does not know yet', async () => {
      latchkey.checkOnlineHeader = 'geo';
      const [token] = latchkey.issue();
      await sut.verify(token);
      await sut.verify(token);

      expect(latchkey.calls).toMatchObject({ verify: 2, list: 0 });
    });

    it('from a Latchkey that sends no such header, goes online for a uses limit alone', async () => {
      latchkey.checkOnlineHeader = null;
      const [limited] = latchkey.issue({ usesRemaining: 10 });
      const [plain] = latchkey.issue();
      for (let i = 0; i < 3; i++) {
        expect(await sut.verify(limited)).toMatchObject({ valid: true, source: 'online' });
        await sut.verify(plain);
      }

      expect(latchkey.calls).toMatchObject({ verify: 4, list: 1 });
    });
  });

  describe('the address of the caller who presented the token (clientAddress)', () => {
    /** The service's own address (the fake's peer) lies in the networks, as in a stolen-token case. */
    const NETWORKS = ['127.0.0.1/32', '203.0.113.0/24', '2001:db8::/32'];
    const INSIDE = '203.0.113.7';
    const OUTSIDE = '198.51.100.9';
    const PASSES = { valid: true, source: 'online' };
    const REFUSED = { valid: false, reason: 'forbidden', status: 403 };

    // Latchkey's TRUST_PROXY names the service (127.0.0.1), as docs/edge.md asks.
    beforeEach(() => (latchkey.trustProxy = ['127.0.0.1']));

    /** Each address a caller may present a networks token from, and whether it passes. */
    const ADDRESSES: [string, string | undefined, boolean][] = [
      ['inside, IPv4', INSIDE, true],
      ['inside, IPv6', '2001:db8::5', true],
      ['inside, IPv4-mapped IPv6 (as a Node socket names it)', `::ffff:${INSIDE}`, true],
      ['outside, IPv4', OUTSIDE, false],
      ['outside, IPv6', '2001:db9::5', false],
      ['outside, IPv4-mapped IPv6', `::ffff:${OUTSIDE}`, false],
      ['outside, ::1 (127.0.0.1, the service, is inside; ::1 is not)', '::1', false],
      ['not given: matched against the service itself', undefined, true],
    ];

    it.each(ADDRESSES)(
      'a networks token presented from %s: its first check and every later one',
      async (_name, clientAddress, passes) => {
        const [token] = latchkey.issue({ allowedCidrs: NETWORKS });
        const [known] = latchkey.issue({ allowedCidrs: NETWORKS });
        await sut.verify(known, { clientAddress: INSIDE });

        for (const t of [token, known, known]) {
          expect(await sut.verify(t, { clientAddress })).toEqual(
            passes ? expect.objectContaining(PASSES) : REFUSED,
          );
          expect(latchkey.lastVerify['x-forwarded-for']).toBe(clientAddress);
        }
        expect(sut.checkCached(known, { clientAddress })).toBeUndefined();
        expect(latchkey.calls).toMatchObject({ verify: 4, list: 0 });
      },
    );

    it('sends each check its own address, never one an earlier check gave', async () => {
      const [token] = latchkey.issue({ allowedCidrs: NETWORKS });
      const order = [INSIDE, OUTSIDE, INSIDE, OUTSIDE, undefined, OUTSIDE];

      const results = [];
      for (const clientAddress of order) results.push(await sut.verify(token, { clientAddress }));

      expect(results.map((r) => r.valid)).toEqual([true, false, true, false, true, false]);
      expect(latchkey.forwardedFor).toEqual(order);
    });

    it('never shares a call among checks from different addresses, seen or not', async () => {
      const [token] = latchkey.issue({ allowedCidrs: NETWORKS });
      const check = (clientAddress: string) => sut.verify(token, { clientAddress });

      // Not seen yet: the refusal of one address is not the other's answer.
      const first = await Promise.all([check(OUTSIDE), check(INSIDE)]);
      expect(first).toEqual([REFUSED, expect.objectContaining(PASSES)]);
      expect(latchkey.calls.verify).toBe(2);

      const then = await Promise.all([
        check(INSIDE),
        check(OUTSIDE),
        check(OUTSIDE),
        check(INSIDE),
      ]);
      expect(then.map((r) => r.valid)).toEqual([true, false, false, true]);
      expect(latchkey.calls.verify).toBe(6);
      expect([...latchkey.forwardedFor].sort()).toEqual(
        [INSIDE, INSIDE, INSIDE, OUTSIDE, OUTSIDE, OUTSIDE].sort(),
      );
    });

    it('shares the first call of a token without networks among checks from one address only', async () => {
      const [token] = latchkey.issue();
      const check = (clientAddress: string) => sut.verify(token, { clientAddress });

      const results = await Promise.all([
        check(INSIDE),
        check(OUTSIDE),
        check(INSIDE),
        check(OUTSIDE),
      ]);

      expect(results.every((r) => r.valid)).toBe(true);
      expect(latchkey.calls.verify).toBe(2);
      expect([...latchkey.forwardedFor].sort()).toEqual([INSIDE, OUTSIDE].sort());
    });

    it('answers a token its list decides whatever the address, with no call', async () => {
      const [token] = latchkey.issue();
      await sut.verify(token, { clientAddress: INSIDE });
      await sut.verify(token, { clientAddress: INSIDE });

      for (const clientAddress of [OUTSIDE, '2001:db9::5', undefined]) {
        expect(await sut.verify(token, { clientAddress })).toMatchObject({
          valid: true,
          source: 'list',
        });
        expect(sut.checkCached(token, { clientAddress })).toMatchObject({ valid: true });
      }
      expect(latchkey.calls.verify).toBe(1);
    });

    it('is matched against the service when Latchkey does not trust it as a proxy (TRUST_PROXY=false)', async () => {
      latchkey.trustProxy = null;
      const [token] = latchkey.issue({ allowedCidrs: NETWORKS });
      const [elsewhere] = latchkey.issue({ allowedCidrs: ['203.0.113.0/24'] });

      // Why TRUST_PROXY must name the service: the caller's address is not believed.
      expect(await sut.verify(token, { clientAddress: OUTSIDE })).toMatchObject(PASSES);
      expect(await sut.verify(elsewhere, { clientAddress: INSIDE })).toEqual(REFUSED);
    });

    it.each([
      ['1.2.3.4\r\nx: y'],
      ['not-an-ip'],
      [''],
      ['1.2.3.4, 10.0.0.1'],
      [' 1.2.3.4'],
      ['203.0.113.0/24'],
      ['[::1]'],
      ['::1\n'],
      [42 as unknown as string],
    ])(
      'throws on a clientAddress %j that is no address, and makes no call',
      async (clientAddress) => {
        const [token] = latchkey.issue({ allowedCidrs: NETWORKS });
        const [plain] = latchkey.issue();
        await sut.verify(token, { clientAddress: INSIDE });
        await sut.verify(plain);
        await sut.verify(plain);
        const calls = { ...latchkey.calls };

        for (const t of [token, plain, latchkey.issue()[0]]) {
          await expect(sut.verify(t, { clientAddress })).rejects.toThrow(TypeError);
        }
        expect(() => sut.checkCached(plain, { clientAddress })).toThrow(TypeError);
        expect(latchkey.calls).toEqual(calls);
      },
    );

    it('sends whatever it accepts as the one X-Forwarded-For value, unsplit (property)', async () => {
      const [token] = latchkey.issue({ allowedCidrs: NETWORKS });
      const candidate = fc.oneof(
        fc.ipV4(),
        fc.ipV6(),
        text(40),
        fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), text(8)).map(([ip, tail]) => ip + tail),
      );

      await fc.assert(
        fc.asyncProperty(candidate, async (clientAddress) => {
          const calls = latchkey.calls.verify;
          let threw: unknown = null;
          await sut.verify(token, { clientAddress }).catch((error: unknown) => (threw = error));
          if (threw !== null) {
            expect(threw).toBeInstanceOf(TypeError);
            expect(latchkey.calls.verify).toBe(calls);
            return;
          }
          expect(latchkey.calls.verify).toBe(calls + 1);
          expect(latchkey.lastVerify['x-forwarded-for']).toBe(clientAddress);
          expect(clientAddress).toMatch(/^[0-9A-Za-z.:%-]+$/);
        }),
        propertyParams<[string]>([
          ['1.2.3.4\r\nx: y'],
          ['1.2.3.4\nx-latchkey-business: y'],
          ['::1,10.0.0.1'],
          ['fe80::1%eth0'],
        ]),
      );
    });
  });

  describe('claims kept no longer than claimsMaxAgeSeconds', () => {
    it('asks Latchkey again once they are that old, and uses the scopes it now answers', async () => {
      const [token, row] = latchkey.issue({ scopes: ['orders:read', 'audit:read'] });
      await sut.verify(token);
      await sut.verify(token);
      // A demotion: the holder's role no longer holds audit:read. No list says so.
      row.scopes = ['orders:read'];

      later(299 * SECOND);
      expect(await sut.verify(token)).toMatchObject({
        source: 'list',
        scopes: ['orders:read', 'audit:read'],
      });
      expect(latchkey.calls.verify).toBe(1);
      later(1 * SECOND);
      expect(sut.checkCached(token)).toBeUndefined();

      expect(await sut.verify(token)).toMatchObject({
        valid: true,
        source: 'online',
        scopes: ['orders:read'],
      });
      expect(latchkey.calls.verify).toBe(2);
      expect(await sut.verify(token, { requireScopes: ['audit:read'] })).toEqual({
        valid: false,
        reason: 'forbidden',
        status: 403,
      });
      expect(await sut.verify(token)).toMatchObject({ source: 'list', scopes: ['orders:read'] });
      expect(latchkey.calls.verify).toBe(3);
    });

    it('shares that one call among the checks that come at once', async () => {
      sut = verifier({ claimsMaxAgeSeconds: 30 });
      const [token, row] = latchkey.issue({ scopes: ['orders:read'] });
      await sut.verify(token);
      await sut.verify(token);
      row.scopes = [];
      later(30 * SECOND);

      const results = await Promise.all(Array.from({ length: 20 }, () => sut.verify(token)));

      expect(results.every((r) => r.valid && r.scopes?.length === 0)).toBe(true);
      expect(latchkey.calls.verify).toBe(2);
    });

    it("forgets Latchkey's answers on requirements just as old, whatever renewed the claims", async () => {
      const [token, row] = latchkey.issue({ scopes: null });
      expect(await sut.verify(token, { requireScopes: ['audit:read'] })).toMatchObject({
        valid: true,
      });
      expect(await sut.verify(token, { requireScopes: ['audit:read'] })).toMatchObject({
        source: 'list',
      });
      row.roleDenies = ['audit:read'];
      later(300 * SECOND);
      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'online' });

      expect(await sut.verify(token, { requireScopes: ['audit:read'] })).toEqual({
        valid: false,
        reason: 'forbidden',
        status: 403,
      });
      expect(latchkey.calls.verify).toBe(3);
    });

    it('forgets them too when other calls kept renewing the claims meanwhile', async () => {
      const [token, row] = latchkey.issue({ scopes: null });
      await sut.verify(token, { requireScopes: ['audit:read'] });
      later(200 * SECOND);
      // Another requirement, asked of Latchkey: fresh claims, and the old answer carried over.
      await sut.verify(token, { requireScopes: ['orders:read'] });
      expect(await sut.verify(token, { requireScopes: ['audit:read'] })).toMatchObject({
        source: 'list',
      });
      row.roleDenies = ['audit:read'];
      later(100 * SECOND);

      expect(await sut.verify(token, { requireScopes: ['audit:read'] })).toEqual({
        valid: false,
        reason: 'forbidden',
        status: 403,
      });
      expect(latchkey.calls.verify).toBe(3);
    });

    it('while Latchkey cannot be reached, passes a known valid token under the grace, never a revoked one', async () => {
      sut = verifier({ offlineGraceSeconds: 600 });
      const [token] = latchkey.issue();
      const [revoked, row] = latchkey.issue();
      await sut.verify(token);
      await sut.verify(revoked);
      row.status = 1;
      later(60 * SECOND);
      await sut.verify(token);
      expect(await sut.verify(revoked)).toMatchObject({ reason: 'revoked' });
      const fetchedAt = clock;
      // 503 to everything: Latchkey counts none of it, the verifier counts its tries.
      latchkey.mode = 'down';

      clock = T0 + 300 * SECOND;
      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(await sut.verify(revoked)).toMatchObject({ reason: 'revoked' });
      expect(sut.stats().onlineVerifies).toBe(3);
      // The next try backs off: checks meanwhile answer from memory, with no call.
      expect(sut.checkCached(token)).toMatchObject({ valid: true, source: 'list' });
      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(sut.stats().onlineVerifies).toBe(3);

      clock = fetchedAt + 599 * SECOND;
      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      clock = fetchedAt + 600 * SECOND;
      expect(await sut.verify(token)).toEqual({ valid: false, reason: 'unreachable' });

      latchkey.mode = 'up';
      later(30 * SECOND);
      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
    });
  });

  describe('the business and the scopes a check requires', () => {
    it('refuses another business, and a platform token where a business is named, from the claims', async () => {
      const [token, row] = latchkey.issue();
      const [platform] = latchkey.issue({ businessId: null });
      await sut.verify(token);
      await sut.verify(platform);

      expect(await sut.verify(token, { businessId: row.businessId!.toUpperCase() })).toMatchObject({
        valid: true,
      });
      expect(await sut.verify(token, { businessId: randomUUID() })).toEqual({
        valid: false,
        reason: 'forbidden',
      });
      expect(await sut.verify(platform, { businessId: row.businessId! })).toEqual({
        valid: false,
        reason: 'forbidden',
      });
      expect(latchkey.calls.verify).toBe(2);
    });

    it('sends the requirement on the first call, so Latchkey decides it', async () => {
      const [token, row] = latchkey.issue({ scopes: ['orders:read'] });

      expect(
        await sut.verify(token, { businessId: row.businessId!, requireScopes: ['billing:read'] }),
      ).toEqual({ valid: false, reason: 'forbidden', status: 403 });
      expect(latchkey.lastVerify).toMatchObject({
        'x-latchkey-business': row.businessId,
        'x-latchkey-require-scope': 'billing:read',
      });
    });

    it('settles from the claims what `a:*` and equal scopes cover, and asks Latchkey the rest once', async () => {
      const [token] = latchkey.issue({ scopes: ['orders:*', 'deploy:write'] });
      await sut.verify(token);

      expect(
        await sut.verify(token, { requireScopes: ['orders:read', 'deploy:write'] }),
      ).toMatchObject({ valid: true, source: 'list' });
      expect(await sut.verify(token, { requireScopes: ['orders:refunds:write'] })).toMatchObject({
        valid: true,
      });
      expect(latchkey.calls.verify).toBe(1);

      expect(await sut.verify(token, { requireScopes: ['deploy:read'] })).toEqual({
        valid: false,
        reason: 'forbidden',
        status: 403,
      });
      expect(await sut.verify(token, { requireScopes: ['deploy:read'] })).toEqual({
        valid: false,
        reason: 'forbidden',
      });
      expect(latchkey.calls.verify).toBe(2);
    });

    it('asks Latchkey about an unrestricted token (its role decides), once per requirement', async () => {
      const [token] = latchkey.issue({ scopes: null, roleDenies: ['audit:read'] });
      await sut.verify(token);

      for (let i = 0; i < 3; i++) {
        expect(await sut.verify(token, { requireScopes: ['audit:read'] })).toMatchObject({
          valid: false,
          reason: 'forbidden',
        });
        expect(await sut.verify(token, { requireScopes: ['orders:read'] })).toMatchObject({
          valid: true,
        });
      }

      expect(latchkey.calls.verify).toBe(3);
      expect(sut.checkCached(token, { requireScopes: ['orders:read'] })).toMatchObject({
        valid: true,
      });
      expect(sut.checkCached(token, { requireScopes: ['orders:write'] })).toBeUndefined();
    });

    it('still refuses a revoked token whatever the requirement', async () => {
      const [token, row] = latchkey.issue({ scopes: ['orders:*'] });
      await sut.verify(token, { requireScopes: ['orders:read'] });
      row.status = 1;
      later(60 * SECOND);

      expect(await sut.verify(token, { requireScopes: ['orders:read'] })).toMatchObject({
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
      await expect(sut.verify('lk_any', options)).rejects.toThrow(TypeError);
      expect(latchkey.calls.verify).toBe(0);
    });
  });

  describe('lists an attacker serves', () => {
    const other = randomUUID();
    const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const allValid = { statuses: new Array<number>(64).fill(0) };

    /** Each forges a list that says every token is valid; the token checked is revoked. */
    const FORGED: [string, (l: FakeLatchkey) => Promise<string>][] = [
      [
        'alg none',
        (l) =>
          Promise.resolve(
            `${base64url({ alg: 'none', typ: 'statuslist+jwt', kid: l.keys[0].kid })}.${base64url({
              sub: l.uri(),
              iat: Math.floor(T0 / 1000),
              exp: Math.floor(T0 / 1000) + 120,
              ttl: 60,
              status_list: l.statusList(l.listId, allValid),
            })}.`,
          ),
      ],
      [
        'HS256 keyed with the public key',
        (l) =>
          new SignJWT({
            sub: l.uri(),
            iat: Math.floor(T0 / 1000),
            exp: Math.floor(T0 / 1000) + 120,
            ttl: 60,
            status_list: l.statusList(l.listId, allValid),
          })
            .setProtectedHeader({ alg: 'HS256', typ: 'statuslist+jwt', kid: l.keys[0].kid })
            .sign(new TextEncoder().encode(JSON.stringify(l.keys[0].publicJwk))),
      ],
      [
        'signed by a key not in the JWKS',
        async (l) => l.signList(l.listId, allValid, await signingKey()),
      ],
      [
        "signed by another key under Latchkey's kid",
        async (l) => l.signList(l.listId, allValid, await signingKey(l.keys[0].kid)),
      ],
      [
        'a changed lst under the original signature',
        async (l) => {
          const [header, , signature] = (await l.signList()).split('.');
          const payload = {
            sub: l.uri(),
            iat: Math.floor(T0 / 1000),
            exp: Math.floor(T0 / 1000) + 120,
            ttl: 60,
            status_list: l.statusList(l.listId, allValid),
          };
          return `${header}.${base64url(payload)}.${signature}`;
        },
      ],
      ['an exp in the past', (l) => l.signList(l.listId, { ...allValid, exp: T0 / 1000 - 1 })],
      ['no exp', (l) => l.signList(l.listId, { ...allValid, exp: null })],
      ['typ JWT', (l) => l.signList(l.listId, allValid, undefined, { typ: 'JWT' })],
      ['no typ', (l) => l.signList(l.listId, allValid, undefined, { typ: undefined })],
      [
        "another list's sub (a well-signed list of another business)",
        (l) => l.signList(other, { ...allValid, sub: l.uri(other) }),
      ],
      [
        '3 bits a status',
        (l) =>
          l.signList(l.listId, {
            rawStatusList: { bits: 3, lst: l.statusList(l.listId, allValid).lst },
          }),
      ],
      ['no status_list', (l) => l.signList(l.listId, { rawStatusList: 'all valid' })],
      ['a ttl of 0', (l) => l.signList(l.listId, { ...allValid, ttl: 0 })],
    ];

    it.each(FORGED)('refuses a list with %s', async (_name, forge) => {
      // No grace: a list refused leaves the verifier with nothing it may pass on.
      sut = verifier({ offlineGraceSeconds: 0 });
      const [token, row] = latchkey.issue();
      await sut.verify(token);
      row.status = 1;
      const forged = await forge(latchkey);
      latchkey.listAnswer = (_id, res) => {
        res.writeHead(200, { 'content-type': 'application/statuslist+jwt' }).end(forged);
      };

      expect(await sut.verify(token)).toEqual({ valid: false, reason: 'unreachable' });
      expect(sut.stats()).toMatchObject({ listFetches: 1, listsRefused: 1 });
    });

    it('passes the token on the same list when Latchkey signs it (the control of the table above)', async () => {
      sut = verifier({ offlineGraceSeconds: 0 });
      const [token, row] = latchkey.issue();
      await sut.verify(token);
      row.status = 1;
      const honest = await latchkey.signList(latchkey.listId, allValid);
      latchkey.listAnswer = (_id, res) => {
        res.writeHead(200, { 'content-type': 'application/statuslist+jwt' }).end(honest);
      };

      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
    });

    it('refuses a list older than the one it holds (no rollback)', async () => {
      const [token, row] = latchkey.issue();
      await sut.verify(token);
      const old = await latchkey.signList(latchkey.listId, { exp: T0 / 1000 + 86_400 });
      await sut.verify(token);
      later(60 * SECOND);
      row.status = 2;
      expect(await sut.verify(token)).toMatchObject({ reason: 'suspended' });

      later(60 * SECOND);
      latchkey.listAnswer = (_id, res) => {
        res.writeHead(200, { 'content-type': 'application/statuslist+jwt' }).end(old);
      };

      expect(await sut.verify(token)).toMatchObject({ reason: 'suspended' });
      expect(sut.stats().listsRefused).toBe(1);
    });

    it('fetches nothing from a list uri on another origin, and checks that token online', async () => {
      const elsewhere = await countingServer();
      latchkey.statusListHeader = `idx=0, uri="${elsewhere.origin}/status-lists/${latchkey.listId}"`;
      const [token] = latchkey.issue();
      try {
        expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
        expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'online' });

        expect(elsewhere.requests()).toBe(0);
        expect(latchkey.calls.verify).toBe(2);
        expect(sut.stats().listsRefused).toBeGreaterThan(0);
      } finally {
        await elsewhere.close();
      }
    });

    it('follows no redirect from a list', async () => {
      const elsewhere = await countingServer();
      sut = verifier({ offlineGraceSeconds: 0 });
      const [token] = latchkey.issue();
      latchkey.listAnswer = (id, res) => {
        res.writeHead(302, { location: `${elsewhere.origin}/status-lists/${id}` }).end();
      };
      try {
        await sut.verify(token);

        expect(await sut.verify(token)).toEqual({ valid: false, reason: 'unreachable' });
        expect(elsewhere.requests()).toBe(0);
      } finally {
        await elsewhere.close();
      }
    });

    it('reads the key set again for a kid it does not know, at most once per 30 s', async () => {
      const [token] = latchkey.issue();
      await sut.verify(token);
      await sut.verify(token);

      // Latchkey rotates its key: the new kid is read from the set once.
      latchkey.keys.push(await signingKey());
      later(60 * SECOND);
      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(latchkey.calls.jwks).toBe(2);

      // A stranger's kid: one read of the set, then none until 30 s have passed.
      const stranger = await signingKey();
      latchkey.listAnswer = async (id, res) => {
        res.writeHead(200).end(await latchkey.signList(id, {}, stranger));
      };
      later(60 * SECOND);
      await sut.verify(token);
      for (let i = 0; i < 5; i++) {
        later(2 * SECOND);
        await sut.verify(token);
      }

      expect(latchkey.calls.jwks).toBe(3);
      expect(latchkey.calls.list).toBeGreaterThan(3);
    });
  });

  describe('while Latchkey cannot be reached', () => {
    it('passes a token valid at the last good list until the grace after that fetch; never a revoked or unknown one', async () => {
      sut = verifier({ offlineGraceSeconds: 600 });
      const [token] = latchkey.issue();
      const [revoked, row] = latchkey.issue();
      await sut.verify(token);
      await sut.verify(revoked);
      row.status = 1;
      later(60 * SECOND);
      await sut.verify(token);
      expect(await sut.verify(revoked)).toMatchObject({ reason: 'revoked' });
      const fetchedAt = clock;
      await latchkey.stop();

      later(60 * SECOND);
      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(await sut.verify(revoked)).toMatchObject({ reason: 'revoked' });
      expect(await sut.verify('lk_never_seen')).toEqual({ valid: false, reason: 'unreachable' });

      clock = fetchedAt + 599 * SECOND;
      expect(await sut.verify(token)).toMatchObject({ valid: true });
      expect(sut.checkCached(token)).toMatchObject({ valid: true });

      clock = fetchedAt + 600 * SECOND;
      expect(await sut.verify(token)).toEqual({ valid: false, reason: 'unreachable' });
      expect(sut.checkCached(token)).toEqual({ valid: false, reason: 'unreachable' });
    });

    it('answers meanwhile from memory, without waiting on a fetch each time (backoff)', async () => {
      const [token] = latchkey.issue();
      await sut.verify(token);
      await sut.verify(token);
      latchkey.mode = 'down';
      later(60 * SECOND);

      for (let i = 0; i < 10; i++) expect(await sut.verify(token)).toMatchObject({ valid: true });

      expect(sut.stats().listFetches).toBe(2);
    });

    it('refuses a token it has not seen, with the status when Latchkey answered one', async () => {
      latchkey.mode = 'down';

      expect(await sut.verify('lk_new')).toEqual({
        valid: false,
        reason: 'unreachable',
        status: 503,
      });
    });

    it('gives up on a Latchkey that does not answer after requestTimeoutMs', async () => {
      sut = verifier({ requestTimeoutMs: 200 });
      latchkey.mode = 'hang';
      const started = Date.now();

      expect(await sut.verify('lk_new')).toEqual({ valid: false, reason: 'unreachable' });
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('never passes a token with a uses limit', async () => {
      const [token] = latchkey.issue({ usesRemaining: 5 });
      await sut.verify(token);
      latchkey.mode = 'down';

      expect(await sut.verify(token)).toMatchObject({ valid: false, reason: 'unreachable' });
    });

    it('reports a rate limit with its Retry-After, and keeps nothing of it', async () => {
      const [token] = latchkey.issue();
      latchkey.mode = 'limited';
      expect(await sut.verify(token)).toEqual({
        valid: false,
        reason: 'rate_limited',
        status: 429,
        retryAfter: 7,
      });

      latchkey.mode = 'up';

      expect(await sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
    });
  });

  describe('checkCached', () => {
    it('answers from memory, with the same object each time, and undefined when it takes a call', async () => {
      const [token, row] = latchkey.issue();
      expect(sut.checkCached(token)).toBeUndefined();
      await sut.verify(token);
      expect(sut.checkCached(token)).toBeUndefined(); // the list is not fetched yet
      await sut.verify(token);

      const first = sut.checkCached(token);
      expect(first).toMatchObject({ valid: true, source: 'list', tokenId: row.id });
      expect(sut.checkCached(token)).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);

      later(60 * SECOND);
      expect(sut.checkCached(token)).toBeUndefined();
      const calls = { ...latchkey.calls };
      row.status = 1;
      await sut.verify(token);
      expect(sut.checkCached(token)).toEqual({ valid: false, reason: 'revoked' });
      expect(latchkey.calls.list).toBe(calls.list + 1);
    });
  });
});

/** An HTTP server elsewhere (another origin) that counts what reaches it. */
async function countingServer(): Promise<{
  origin: string;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const server: Server = createServer((_req, res) => {
    count++;
    res.writeHead(200).end('');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

import { EdgeVerifier, type EdgeVerifyResult } from '../../packages/client/src/verifier';
import { createBusiness, createToken } from '../factories/tenancy.factory';
import { asOwner, revoke } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { freePort } from '../harness/ports';
import { DRIVERS } from '../setup/servers';
import { PATIENCE_MS } from '../harness/patience';

/**
 * The list's ttl here: a revocation reaches the verifier once it has passed and the list is
 * fetched again. Long enough that a list fetched on a busy machine is still fresh when the next
 * check reads it (at 1 s it was stale by then, and the check went online); the grace outlasts it.
 */
const TTL_S = 5;
const GRACE_S = 10;

/**
 * The relying party's module (packages/client/src/verifier.ts) against the real app: it asks
 * Latchkey once per token, then the token's status list; a revocation refuses the token within
 * the list's ttl plus one fetch with no further /auth/verify; with Latchkey stopped, a known valid
 * token passes for the offline grace and no longer, and a revoked or unknown one never. Its
 * bounds are times of a second or two, which a loaded machine overruns: it runs timed, alone.
 */
describe.each(DRIVERS)('The edge verifier against Latchkey on %s', (driver) => {
  let t: TestApp;
  let base: string;
  let stopped = false;
  const calls: string[] = [];
  /** fetch, counted by path, and refused as by a stopped server once `stopped`. */
  const countingFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    calls.push(url.pathname);
    if (stopped) return Promise.reject(new TypeError('fetch failed: connect ECONNREFUSED'));
    return fetch(input, init);
  };
  const verifies = () => calls.filter((p) => p === '/auth/verify').length;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await bootTestApp(driver, {
      PUBLIC_BASE_URL: base,
      STATUS_LIST_TTL_SECONDS: String(TTL_S),
      TOKEN_CACHE_TTL_MS: '10000',
    });
    await t.app.listen(port, '127.0.0.1');
  });
  afterAll(() => t?.close());

  /** Checks as a hot path does: from memory, and awaiting only when that takes a call. */
  const check = async (edge: EdgeVerifier, token: string): Promise<EdgeVerifyResult> =>
    edge.checkCached(token) ?? (await edge.verify(token));

  /** Checks until `done` holds of the answer or `ms` pass; answers the last answer and when. */
  const until = async (
    edge: EdgeVerifier,
    token: string,
    done: (r: EdgeVerifyResult) => boolean,
    ms: number,
  ) => {
    const started = Date.now();
    for (;;) {
      const result = await check(edge, token);
      if (done(result) || Date.now() - started > ms) return { result, ms: Date.now() - started };
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('calls home once per token, sees a revocation from its list refreshed after the ttl, and holds known tokens offline only for the grace', async () => {
    const biz = await createBusiness(t);
    const kept = await createToken(t, asOwner(biz), { name: 'kept' });
    const doomed = await createToken(t, asOwner(biz), { name: 'doomed' });
    const edge = new EdgeVerifier({
      baseUrl: base,
      fetch: countingFetch,
      offlineGraceSeconds: GRACE_S,
      // Patient: a list's first build (and the JWKS) on a busy machine has taken past 10 s, and a
      // fetch that times out is answered online, not from the list. A stopped Latchkey refuses
      // the connection at once, so the offline part waits for no timeout.
      requestTimeoutMs: PATIENCE_MS,
    });

    for (const token of [kept, doomed]) {
      expect(await edge.verify(token.secret)).toMatchObject({
        valid: true,
        tokenId: token.id,
        businessId: biz.id,
        // Made without meta: Latchkey's X-Latchkey-Meta is empty.
        meta: null,
        source: 'online',
      });
      // The next check fetches the token's list (as packages/client/README.md shows) and reads it.
      expect(await check(edge, token.secret)).toMatchObject({ valid: true, source: 'list' });
    }
    expect(verifies()).toBe(2);

    await revoke(t, asOwner(biz), doomed.id).expect(201);
    // Seen once the list is fetched again, after its ttl: how soon is printed, never held to a
    // clock a busy machine could break (60 s bounds a hang). No call home was made for it.
    const refused = await until(edge, doomed.secret, (r) => !r.valid, 60_000);
    expect(refused.result).toEqual({ valid: false, reason: 'revoked' });
    console.log(`edge verifier: the revocation seen after ${refused.ms} ms (list ttl ${TTL_S} s)`);
    expect(await check(edge, kept.secret)).toMatchObject({ valid: true });
    expect(verifies()).toBe(2);

    stopped = true;
    const wentDown = Date.now();
    expect(await check(edge, kept.secret)).toMatchObject({ valid: true, tokenId: kept.id });
    expect(await check(edge, doomed.secret)).toMatchObject({ valid: false, reason: 'revoked' });
    const stranger = await createToken(t, asOwner(biz), { name: 'never seen' });
    expect(await check(edge, stranger.secret)).toMatchObject({
      valid: false,
      reason: 'unreachable',
    });
    const lapsed = await until(edge, kept.secret, (r) => !r.valid, (GRACE_S + 60) * 1000);
    expect(lapsed.result).toMatchObject({ valid: false, reason: 'unreachable' });
    // Not before the grace counted from the last good list, fetched at most a ttl before.
    expect(Date.now() - wentDown).toBeGreaterThanOrEqual((GRACE_S - TTL_S) * 1000 - 100);
    expect(await check(edge, doomed.secret)).toMatchObject({ valid: false, reason: 'revoked' });
    stopped = false;
  });
});

/**
 * A token bound to networks, through a service that Latchkey trusts as a proxy: the verifier
 * forwards the address of the caller who presented the token, so a stolen token presented from
 * outside its networks is refused although the service itself sits inside them.
 */
describe.each(DRIVERS)('The edge verifier with a network-bound token on %s', (driver) => {
  let t: TestApp;
  let base: string;
  let verifies = 0;
  const countingFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname === '/auth/verify') verifies++;
    return fetch(input, init);
  };
  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await bootTestApp(driver, { PUBLIC_BASE_URL: base, TRUST_PROXY: '127.0.0.1' });
    await t.app.listen(port, '127.0.0.1');
  });
  afterAll(() => t?.close());

  it('asks Latchkey on every check, with the caller’s address, and never decides it from the list', async () => {
    const biz = await createBusiness(t);
    const bound = await createToken(t, asOwner(biz), {
      name: 'bound',
      allowed_cidrs: ['10.0.0.0/8', '127.0.0.0/8'],
    });
    const edge = new EdgeVerifier({ baseUrl: base, fetch: countingFetch });
    const inside = { clientAddress: '10.1.2.3' };
    const outside = { clientAddress: '192.0.2.1' };
    expect(await edge.verify(bound.secret, inside)).toMatchObject({
      valid: true,
      source: 'online',
    });
    expect(await edge.verify(bound.secret, outside)).toEqual({
      valid: false,
      reason: 'forbidden',
      status: 403,
      code: 'IP_NOT_ALLOWED',
    });
    expect(edge.checkCached(bound.secret, inside)).toBeUndefined();
    expect(await edge.verify(bound.secret, inside)).toMatchObject({
      valid: true,
      source: 'online',
    });
    expect(verifies).toBe(3);
    expect(() => edge.checkCached(bound.secret, { clientAddress: '10.1.2.3\r\nx: y' })).toThrow(
      TypeError,
    );
    expect(verifies).toBe(3);
  });
});

/**
 * A token made with `meta`: Latchkey names it in X-Latchkey-Meta, and the verifier hands it on as
 * it was made, online and from the token's list alike, frozen to the leaves.
 */
describe.each(DRIVERS)('The edge verifier and a token’s meta on %s', (driver) => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await bootTestApp(driver, { PUBLIC_BASE_URL: base });
    await t.app.listen(port, '127.0.0.1');
  });
  afterAll(() => t?.close());

  /** Frozen, and every object and array in it too. */
  const deeplyFrozen = (value: unknown): boolean =>
    typeof value !== 'object' ||
    value === null ||
    (Object.isFrozen(value) && Object.values(value).every(deeplyFrozen));

  it('passes a token made with meta with that meta, online and then from its list', async () => {
    const biz = await createBusiness(t);
    const pro = await createToken(t, asOwner(biz), { name: 'pro', meta: { plan: 'pro' } });
    const nested = { team: { name: 'Zahlungsverkehr – ü 🚀', seats: [5, 10] }, quote: '"a,b"' };
    const rich = await createToken(t, asOwner(biz), { name: 'rich', meta: nested });
    const edge = new EdgeVerifier({ baseUrl: base, requestTimeoutMs: 10_000 });

    for (const [token, meta] of [
      [pro, { plan: 'pro' }],
      [rich, nested],
    ] as const) {
      const online = await edge.verify(token.secret, { businessId: biz.id });
      expect(online).toMatchObject({ valid: true, tokenId: token.id, source: 'online' });
      const fromList = await edge.verify(token.secret, { businessId: biz.id });
      expect(fromList).toMatchObject({ valid: true, tokenId: token.id, source: 'list' });
      if (!online.valid || !fromList.valid) throw new Error('not a pass');
      expect(online.meta).toEqual(meta);
      expect(fromList.meta).toBe(online.meta);
      expect(deeplyFrozen(online.meta)).toBe(true);
    }
  });
});

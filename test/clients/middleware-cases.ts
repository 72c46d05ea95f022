import type { RequestListener } from 'node:http';
import type { LatchkeyOptions } from '../../packages/client/src/middleware/token-check';
import {
  type BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
  type IssuedToken,
} from '../factories/tenancy.factory';
import { asOwner, revoke } from '../harness/app/api';
import { dbTime } from '../harness/app/assertions';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { freePort } from '../harness/ports';

import {
  type AppUnderTest,
  closedPort,
  held,
  heldOf,
  META,
  MISCONFIGURED,
  refusal,
  SCOPE_CHALLENGE,
  SCOPE_ROWS,
  seen,
  serve,
  type StartApp,
  stranger,
  unauthorized,
  UNAVAILABLE,
} from './middleware-fixtures';
import { PATIENCE_MS } from '../harness/patience';

/**
 * The cases every middleware of @latchkey/client must pass in a real app of its framework,
 * written once (as Unkey's `runCommonRouteTests`): a framework's spec says how to start its app,
 * and `runMiddlewareCases` runs them all against it. Latchkey's own answers (valid, revoked,
 * expired, scopes, business, meta, rate limit) come from the real app, listening on 127.0.0.1;
 * the failures it cannot be made to have (a 500, no answer, a closed port) from stubs here.
 */

export type { Answer, AppUnderTest, StartApp } from './middleware-fixtures';
export { httpGet, serve } from './middleware-fixtures';

export function runMiddlewareCases(startApp: StartApp): void {
  let t: TestApp;
  let base: string;
  let biz: BusinessFixture;
  let other: BusinessFixture;
  const tokens = {} as Record<'meta' | 'machine' | 'revoked' | 'expired' | 'other', IssuedToken>;
  const scoped = new Map<string, IssuedToken>();

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await bootTestApp('sqlite', { PUBLIC_BASE_URL: base });
    await t.app.listen(port, '127.0.0.1');
    biz = await createBusiness(t);
    other = await createBusiness(t);
    const owner = asOwner(biz);
    const machine = await createMachine(t, biz);
    tokens.meta = await createToken(t, owner, { name: 'with meta', meta: META });
    tokens.machine = await createToken(t, owner, {
      identity_id: machine.id,
      scopes: ['orders:read'],
    });
    tokens.other = await createToken(t, asOwner(other));
    tokens.revoked = await createToken(t, owner, { name: 'revoked' });
    await revoke(t, owner, tokens.revoked.id).expect(201);
    // Expired behind Latchkey's back, before anything checked it.
    tokens.expired = await createToken(t, owner, { name: 'expired' });
    await t.sql('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
      dbTime(t.driver, new Date(Date.now() - 60_000)),
      tokens.expired.id,
    ]);
    for (const [scopes] of SCOPE_ROWS) {
      scoped.set(JSON.stringify(scopes), await createToken(t, owner, { scopes }));
    }
  });
  afterAll(() => t?.close());

  // Each test's own app (so its own verifier, which has seen no token yet), stubs and counts.
  let app: AppUnderTest | null = null;
  const reached: string[] = [];
  const stubs: (() => Promise<void>)[] = [];
  let verifies = 0;
  const countingFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname === '/auth/verify') verifies++;
    return fetch(input, init);
  };
  /** What the middleware logged: its operators' lines, kept out of the test's output. */
  const logged: string[] = [];
  afterEach(async () => {
    await app?.close();
    await Promise.all(stubs.splice(0).map((close) => close()));
    app = null;
    reached.length = 0;
    logged.length = 0;
    verifies = 0;
    jest.restoreAllMocks();
  });

  /** Starts this test's app, its middleware of the real Latchkey unless `options` says else. */
  const start = async (options: Partial<LatchkeyOptions> = {}): Promise<AppUnderTest> => {
    const { verifierOptions, ...rest } = options;
    app = await startApp(
      {
        baseUrl: base,
        logger: { error: (line) => logged.push(line) },
        ...rest,
        // The real Latchkey may answer slowly on a busy machine: an answer, not an outage.
        verifierOptions: {
          fetch: countingFetch,
          requestTimeoutMs: PATIENCE_MS,
          ...verifierOptions,
        },
      },
      reached,
    );
    return app;
  };
  /** A Latchkey stand-in that answers everything with `answer` (which may never answer). */
  const stub = async (answer: RequestListener): Promise<string> => {
    const { origin, close } = await serve(answer);
    stubs.push(close);
    return origin;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  describe('a valid token', () => {
    it.each([
      ['a person’s token, with meta', 'meta', 'user', META],
      ['a machine’s scoped token, without meta', 'machine', 'machine', null],
    ] as const)('passes %s, the handler seeing who holds it', async (_, kind, type, meta) => {
      const sut = await start();
      const secret = tokens[kind].secret;

      for (let i = 0; i < 3; i++) {
        const answer = await sut.get('/whoami', bearer(secret));
        expect(answer.status).toBe(200);
        expect(held(answer.body)).toEqual(heldOf(tokens[kind], type, meta));
      }

      expect(reached).toEqual(['whoami', 'whoami', 'whoami']);
      // Latchkey was asked once; the token's status list answered the rest.
      expect(verifies).toBe(1);
    });

    it('takes the Bearer scheme in any case', async () => {
      const sut = await start();
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        const answer = await sut.get('/whoami', {
          authorization: `${scheme} ${tokens.meta.secret}`,
        });
        expect([scheme, answer.status]).toEqual([scheme, 200]);
      }
    });
  });

  /** A request to make of the valid token `v`: where, and with which headers. */
  type Asking = (v: string) => { path?: string; headers?: Record<string, string> };
  const ask = async (sut: AppUnderTest, asking: Asking) => {
    const { path = '/whoami', headers = {} } = asking(tokens.meta.secret);
    return sut.get(path, headers);
  };
  const auth = (value: string) => ({ headers: { authorization: value } });

  describe('a request it refuses never reaches the handler', () => {
    it.each<[string, string, number, Asking]>([
      ['no token', 'INVALID_TOKEN', 0, () => ({})],
      ['another scheme', 'INVALID_TOKEN', 0, (v) => auth(`Token ${v}`)],
      ['Basic', 'INVALID_TOKEN', 0, () => auth('Basic dXNlcjpwYXNz')],
      ['no scheme', 'INVALID_TOKEN', 0, (v) => auth(v)],
      ['Bearer alone', 'INVALID_TOKEN', 0, () => auth('Bearer')],
      ['two tokens in one header', 'INVALID_TOKEN', 0, (v) => auth(`Bearer ${v}, Bearer ${v}`)],
      ['a token and more after it', 'INVALID_TOKEN', 0, (v) => auth(`Bearer ${v} extra`)],
      ['a token too long', 'INVALID_TOKEN', 0, () => auth(`Bearer ${'a'.repeat(600)}`)],
      ['an unknown token', 'INVALID_TOKEN', 1, () => auth(`Bearer ${stranger()}`)],
      ['a revoked token', 'TOKEN_REVOKED', 1, () => auth(`Bearer ${tokens.revoked.secret}`)],
      ['an expired token', 'TOKEN_EXPIRED', 1, () => auth(`Bearer ${tokens.expired.secret}`)],
      [
        'a token in ?access_token',
        'INVALID_TOKEN',
        0,
        (v) => ({ path: `/whoami?access_token=${v}` }),
      ],
      ['a token in ?token', 'INVALID_TOKEN', 0, (v) => ({ path: `/whoami?token=${v}` })],
      [
        'a token in the query and a bad header',
        'INVALID_TOKEN',
        0,
        (v) => ({ path: `/whoami?access_token=${v}`, ...auth('Bearer') }),
      ],
    ])('%s: 401 %s', async (_, code, asked, asking) => {
      const sut = await start();

      const answer = await ask(sut, asking);

      expect(seen(answer)).toEqual(unauthorized(code));
      expect(reached).toEqual([]);
      // Latchkey is asked only of what could be a token.
      expect(verifies).toBe(asked);
    });
  });

  describe('a token in a header of the app’s choosing (header: X-API-Key)', () => {
    it.each<[string, number, Asking]>([
      ['x-api-key', 200, (v) => ({ headers: { 'x-api-key': v } })],
      ['X-API-KEY', 200, (v) => ({ headers: { 'X-API-KEY': v } })],
      ['X-Api-Key', 200, (v) => ({ headers: { 'X-Api-Key': v } })],
      ['Authorization: Bearer alone', 401, (v) => auth(`Bearer ${v}`)],
      ['X-API-Key: Bearer <token>', 401, (v) => ({ headers: { 'X-API-Key': `Bearer ${v}` } })],
      ['X-API-Key empty', 401, () => ({ headers: { 'X-API-Key': '' } })],
      ['?api_key', 401, (v) => ({ path: `/whoami?api_key=${v}` })],
    ])('%s: %s', async (_, status, asking) => {
      const sut = await start({ header: 'X-API-Key' });

      const answer = await ask(sut, asking);

      if (status === 200) {
        expect(answer.status).toBe(200);
        expect(held(answer.body)).toEqual(heldOf(tokens.meta, 'user', META));
        expect(reached).toEqual(['whoami']);
      } else {
        expect(seen(answer)).toEqual(unauthorized('INVALID_TOKEN'));
        expect(reached).toEqual([]);
      }
    });
  });

  describe('what the handler sees is Latchkey’s word, never the request’s', () => {
    const FORGED = {
      'x-latchkey-token-id': '00000000-0000-4000-8000-000000000000',
      'x-latchkey-identity-id': '00000000-0000-4000-8000-000000000001',
      'x-latchkey-identity-type': 'user',
      'x-latchkey-business-id': '00000000-0000-4000-8000-000000000002',
      'x-latchkey-scopes': 'orders:read admin:*',
      'x-latchkey-meta': Buffer.from(JSON.stringify({ plan: 'enterprise' })).toString('base64url'),
      latchkey: JSON.stringify({ identityId: 'attacker', scopes: null }),
      'x-latchkey': 'admin',
    };

    it('keeps the token’s identity, scopes and meta whatever headers come with it', async () => {
      const sut = await start();

      const answer = await sut.get('/whoami', { ...FORGED, ...bearer(tokens.machine.secret) });

      expect(answer.status).toBe(200);
      expect(held(answer.body)).toEqual(heldOf(tokens.machine, 'machine', null));
    });

    it('refuses a token without the route’s scope that claims it in a header', async () => {
      const sut = await start();
      const lacking = scoped.get(JSON.stringify(['billing:*']))!;

      const answer = await sut.get('/orders', { ...FORGED, ...bearer(lacking.secret) });

      expect(seen(answer)).toEqual(
        refusal(403, 'INSUFFICIENT_SCOPE', { challenge: SCOPE_CHALLENGE }),
      );
      expect(reached).toEqual([]);
    });
  });

  describe('per-route scopes (orders:read)', () => {
    it.each(SCOPE_ROWS)('a token holding %j: passes %s', async (scopes, passes) => {
      const sut = await start();
      const token = scoped.get(JSON.stringify(scopes))!;

      const answer = await sut.get('/orders', bearer(token.secret));

      if (passes) {
        expect(answer.status).toBe(200);
        expect(held(answer.body)).toEqual(heldOf(token, 'user', null));
        expect(reached).toEqual(['orders']);
      } else {
        expect(seen(answer)).toEqual(
          refusal(403, 'INSUFFICIENT_SCOPE', { challenge: SCOPE_CHALLENGE }),
        );
        expect(reached).toEqual([]);
        // The same token is good where no scope is asked: the refusal was the route's.
        expect((await sut.get('/whoami', bearer(token.secret))).status).toBe(200);
      }
    });

    it('an open route answers without a token, with none attached', async () => {
      const sut = await start();

      const answer = await sut.get('/open');

      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 200,
        body: { token: null },
      });
      expect(reached).toEqual(['open']);
    });

    it.each([
      ['no token', () => ({}), () => unauthorized('INVALID_TOKEN')],
      [
        'a token without the scope',
        () => bearer(scoped.get('["billing:*"]')!.secret),
        () => refusal(403, 'INSUFFICIENT_SCOPE', { challenge: SCOPE_CHALLENGE }),
      ],
      // Unrestricted: it would hold the scope, were it good.
      ['a revoked token', () => bearer(tokens.revoked.secret), () => unauthorized('TOKEN_REVOKED')],
    ])('a route left open that requires a scope never runs for %s', async (_, headers, checked) => {
      // Said on the console, once a minute in the process: requireScopes has no logger of its own.
      jest.spyOn(console, 'error').mockImplementation(() => undefined);
      const sut = await start();

      const answer = await sut.get('/open-orders', headers());

      // Refused as misconfigured (500: the middleware never saw the request, so nothing was
      // checked), or checked as a guarded route is; never run.
      expect([MISCONFIGURED, checked()]).toContainEqual(seen(answer));
      expect(reached).toEqual([]);
    });
  });

  describe('the businessId option', () => {
    it.each([
      ['a token of that business', 'passes', () => tokens.meta.secret],
      ['a token of another business', 'BUSINESS_MISMATCH', () => tokens.other.secret],
      ['the platform token', 'BUSINESS_MISMATCH', () => t.platformToken],
    ])('%s: %s', async (_, code, secret) => {
      const sut = await start({ businessId: biz.id });

      const answer = await sut.get('/whoami', bearer(secret()));

      if (code === 'passes') {
        expect(answer.status).toBe(200);
        expect(held(answer.body)).toEqual(heldOf(tokens.meta, 'user', META));
        expect(reached).toEqual(['whoami']);
      } else {
        expect(seen(answer)).toEqual(refusal(403, code, {}));
        expect(reached).toEqual([]);
      }
    });
  });

  describe('when Latchkey cannot answer, nothing passes', () => {
    const CLAIMS = {
      'x-latchkey-token-id': '00000000-0000-4000-8000-000000000000',
      'x-latchkey-identity-id': '00000000-0000-4000-8000-000000000001',
      'x-latchkey-identity-type': 'user',
      'x-latchkey-scopes': '*',
    };
    it.each<[string, () => Promise<string>]>([
      ['answers 500', () => stub((_, res) => res.writeHead(500).end())],
      ['answers 502', () => stub((_, res) => res.writeHead(502).end('Bad Gateway'))],
      ['never answers', () => stub(() => undefined)],
      ['is not listening', closedPort],
      [
        'answers 200 with a page (a proxy in the way)',
        () => stub((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>ok')),
      ],
      ['answers 204 without the claims', () => stub((_, res) => res.writeHead(204).end())],
      [
        'answers 204 with a meta that is no JSON object',
        () =>
          stub((_, res) =>
            res.writeHead(204, { ...CLAIMS, 'x-latchkey-meta': 'WzEsMl0' /* [1,2] */ }).end(),
          ),
      ],
      [
        'redirects to the real Latchkey',
        () => stub((_, res) => res.writeHead(302, { location: `${base}/auth/verify` }).end()),
      ],
    ])('Latchkey %s: 503 with Retry-After', async (name, latchkey) => {
      const sut = await start({
        baseUrl: await latchkey(),
        verifierOptions: { requestTimeoutMs: 200 },
      });
      const started = Date.now();

      const answers = [
        await sut.get('/whoami', bearer(tokens.meta.secret)),
        await sut.get('/orders', bearer(stranger())),
      ];

      for (const answer of answers) expect(seen(answer)).toEqual(UNAVAILABLE);
      expect(reached).toEqual([]);
      // Said once, for both requests: an outage, not a setting to fix.
      expect(logged).toEqual([expect.stringContaining('LATCHKEY_UNAVAILABLE')]);
      // A Latchkey that never answers is given up on after the verifier's requestTimeoutMs
      // (200 ms), not its default 3 s: both answers came before two default timeouts could pass.
      if (name === 'never answers') expect(Date.now() - started).toBeLessThan(2 * 3000);
    });
  });

  describe('Latchkey’s 429 for the token', () => {
    it.each([
      ['Latchkey’s Retry-After', '7', { 'retry-after': '7' }],
      ['no Retry-After from Latchkey', '5', {}],
    ])('%s: 429 RATE_LIMITED, Retry-After %s', async (_, retry, headers) => {
      const latchkey = await stub((_req, res) =>
        res
          .writeHead(429, { 'content-type': 'application/json', ...headers })
          .end(JSON.stringify({ success: false, code: 'RATE_LIMITED', detail: null })),
      );
      const sut = await start({ baseUrl: latchkey });

      const answer = await sut.get('/whoami', bearer(stranger()));

      expect(seen(answer)).toEqual(refusal(429, 'RATE_LIMITED', { retry }));
      expect(reached).toEqual([]);
    });

    it('a token over its own rate limit in the real Latchkey: 429 on the request past it', async () => {
      const limited = await createToken(t, asOwner(biz), { rate_limit_per_minute: 1 });
      const sut = await start();

      expect((await sut.get('/whoami', bearer(limited.secret))).status).toBe(200);
      const answer = await sut.get('/whoami', bearer(limited.secret));

      expect(seen(answer)).toEqual(
        refusal(429, 'RATE_LIMITED', { retry: expect.stringMatching(/^[1-9][0-9]?$/) }),
      );
      expect(reached).toEqual(['whoami']);
      // A rate-limited token is Latchkey's to count on every request.
      expect(verifies).toBe(2);
    });

    it('a token whose uses are spent: 429 USES_EXHAUSTED, with no Retry-After (no refill is due)', async () => {
      const limited = await createToken(t, asOwner(biz), { uses_limit: 1 });
      const sut = await start();

      expect((await sut.get('/whoami', bearer(limited.secret))).status).toBe(200);
      const answer = await sut.get('/whoami', bearer(limited.secret));

      expect(seen(answer)).toEqual(refusal(429, 'USES_EXHAUSTED', {}));
      expect(reached).toEqual(['whoami']);
      expect(verifies).toBe(2);
    });
  });

  describe('requests at once', () => {
    const AT_ONCE = 20;
    const all = (sut: AppUnderTest, secrets: string[]) =>
      Promise.all(secrets.map((secret) => sut.get('/whoami', bearer(secret))));

    it(`${AT_ONCE} with a token new to the app all pass, on one call to Latchkey`, async () => {
      const token = await createToken(t, asOwner(biz), { meta: META });
      const sut = await start();

      const answers = await all(sut, Array<string>(AT_ONCE).fill(token.secret));

      expect(answers.map((a) => a.status)).toEqual(Array(AT_ONCE).fill(200));
      for (const answer of answers) {
        expect(held(answer.body)).toEqual(heldOf(token, 'user', META));
      }
      expect(reached).toHaveLength(AT_ONCE);
      expect(verifies).toBe(1);
    });

    it(`${AT_ONCE} with a revoked token never pass`, async () => {
      const sut = await start();

      const answers = await all(sut, Array<string>(AT_ONCE).fill(tokens.revoked.secret));

      for (const answer of answers) expect(seen(answer)).toEqual(unauthorized('TOKEN_REVOKED'));
      expect(reached).toEqual([]);
      expect(verifies).toBe(1);
    });

    it('a revoked token interleaved with a valid one gets none of its answer', async () => {
      const sut = await start();
      const secrets = Array.from({ length: AT_ONCE }, (_, i) =>
        i % 2 ? tokens.revoked.secret : tokens.machine.secret,
      );

      const answers = await all(sut, secrets);

      answers.forEach((answer, i) => {
        if (i % 2) expect(seen(answer)).toEqual(unauthorized('TOKEN_REVOKED'));
        else expect(held(answer.body)).toEqual(heldOf(tokens.machine, 'machine', null));
      });
      expect(reached).toHaveLength(AT_ONCE / 2);
      expect(verifies).toBe(2);
    });
  });
}

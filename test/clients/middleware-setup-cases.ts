import type { RequestListener } from 'node:http';
import type { LatchkeyOptions } from '../../packages/client/src/middleware/token-check';
import {
  type BusinessFixture,
  createBusiness,
  createToken,
  type IssuedToken,
} from '../factories/tenancy.factory';
import { asOwner, revoke, suspend } from '../harness/app/api';
import { dbTime } from '../harness/app/assertions';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { freePort } from '../harness/ports';
import {
  type Answer,
  type AppUnderTest,
  closedPort,
  ERROR_TABLE,
  INVALID_CHALLENGE,
  MISCONFIGURED,
  refusal,
  SCOPE_CHALLENGE,
  seen,
  serve,
  type StartApp,
  stranger,
  UNAVAILABLE,
} from './middleware-fixtures';
import { PATIENCE_MS } from '../harness/patience';

/**
 * The cases of a middleware's setup, for every framework: a Latchkey that requires a gateway
 * secret (VERIFY_GATEWAY_SECRET), met without it, with a wrong one, at a wrong address, or
 * down; and every row of the error table (middleware-errors.json, which docs/clients.md shows
 * and the Python client answers too), each made to happen against the real Latchkey.
 */

const SECRET = 'gw-secret-of-the-middleware-setup-9f3e1a';
const WRONG = 'gw-secret-that-latchkey-never-set-7c2b';

export function runSetupCases(startApp: StartApp): void {
  let t: TestApp;
  let base: string;
  let biz: BusinessFixture;
  let valid: IssuedToken;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await bootTestApp('sqlite', {
      PUBLIC_BASE_URL: base,
      VERIFY_GATEWAY_SECRET: SECRET,
      // Each refused check spends 127.0.0.1's failed-auth budget: none may refuse a later case.
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
    });
    await t.app.listen(port, '127.0.0.1');
    biz = await createBusiness(t);
    valid = await createToken(t, asOwner(biz), { name: 'valid' });
  });
  afterAll(() => t?.close());

  let app: AppUnderTest | null = null;
  const reached: string[] = [];
  const logged: string[] = [];
  const stubs: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await app?.close();
    await Promise.all(stubs.splice(0).map((close) => close()));
    app = null;
    reached.length = 0;
    logged.length = 0;
  });

  /** This test's app, its middleware given the right secret unless `options` says else. */
  const start = async (options: Partial<LatchkeyOptions> = {}): Promise<AppUnderTest> => {
    const { verifierOptions, ...rest } = options;
    app = await startApp(
      {
        baseUrl: base,
        logger: { error: (line) => logged.push(line) },
        ...rest,
        // The real Latchkey may answer slowly on a busy machine: an answer, not an outage.
        verifierOptions: {
          gatewaySecret: SECRET,
          requestTimeoutMs: PATIENCE_MS,
          ...verifierOptions,
        },
      },
      reached,
    );
    return app;
  };
  const stub = async (answer: RequestListener): Promise<string> => {
    const { origin, close } = await serve(answer);
    stubs.push(close);
    return origin;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  describe.each([
    ['without the gateway secret', undefined],
    ['with a wrong gateway secret', WRONG],
  ])('an app %s that Latchkey requires', (_, gatewaySecret) => {
    const misconfigured = () => start({ verifierOptions: { gatewaySecret } });

    it('check() at start throws, naming the code and the setting, never the secret', async () => {
      const sut = await misconfigured();

      const thrown = await sut.check().then(
        () => null,
        (error: unknown) => error,
      );

      expect(thrown).toMatchObject({
        name: 'LatchkeyMisconfiguredError',
        code: 'LATCHKEY_MISCONFIGURED',
        reason: 'GATEWAY_NOT_TRUSTED',
        setting: 'verifierOptions.gatewaySecret',
      });
      const { message } = thrown as Error;
      expect(message).toMatch(/LATCHKEY_MISCONFIGURED.*GATEWAY_NOT_TRUSTED.*gatewaySecret/);
      for (const secret of [SECRET, WRONG]) expect(message).not.toContain(secret);
    });

    it('answers every request 500 LATCHKEY_MISCONFIGURED, and says so once in the log', async () => {
      const sut = await misconfigured();
      const secrets = [valid.secret, valid.secret, stranger(), valid.secret];

      const answers: Answer[] = [];
      for (const secret of secrets) answers.push(await sut.get('/whoami', bearer(secret)));
      answers.push(...(await Promise.all(secrets.map((s) => sut.get('/orders', bearer(s))))));

      for (const answer of answers) expect(seen(answer)).toEqual(MISCONFIGURED);
      expect(reached).toEqual([]);
      // One line for the eight requests: the code, what Latchkey said, and the setting to fix.
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/LATCHKEY_MISCONFIGURED.*GATEWAY_NOT_TRUSTED/);
      expect(logged[0]).toContain('verifierOptions.gatewaySecret');
      for (const secret of [SECRET, WRONG, valid.secret, ...secrets, 'Bearer']) {
        expect(logged[0]).not.toContain(secret);
      }
    });
  });

  it('with the right secret, check() passes, and so does a valid token, with nothing logged', async () => {
    const sut = await start();

    expect(await sut.check()).toEqual({ ok: true });
    expect((await sut.get('/whoami', bearer(valid.secret))).status).toBe(200);
    expect(reached).toEqual(['whoami']);
    expect(logged).toEqual([]);
  });

  it('at a baseUrl where nothing answers /auth/verify (404): check() names baseUrl, requests are 500', async () => {
    const sut = await start({ baseUrl: `${base}/api/v1` });

    await expect(sut.check()).rejects.toMatchObject({
      reason: 'ROUTE_NOT_FOUND',
      setting: 'baseUrl',
    });
    const answers = [
      await sut.get('/whoami', bearer(valid.secret)),
      await sut.get('/whoami', bearer(valid.secret)),
    ];

    for (const answer of answers) expect(seen(answer)).toEqual(MISCONFIGURED);
    expect(reached).toEqual([]);
    expect(logged).toEqual([expect.stringMatching(/LATCHKEY_MISCONFIGURED.*404.*baseUrl/)]);
  });

  it.each<[string, () => Promise<string>]>([
    ['not listening', closedPort],
    ['answering 502', () => stub((_, res) => res.writeHead(502).end('Bad Gateway'))],
  ])(
    'Latchkey %s is an outage: check() says so, requests are 503 with Retry-After',
    async (_, at) => {
      const sut = await start({ baseUrl: await at() });

      expect(await sut.check()).toEqual({
        ok: false,
        code: 'LATCHKEY_UNAVAILABLE',
        message: expect.stringContaining('could not be asked') as string,
      });
      const answers = [
        await sut.get('/whoami', bearer(valid.secret)),
        await sut.get('/whoami', bearer(stranger())),
      ];

      for (const answer of answers) expect(seen(answer)).toEqual(UNAVAILABLE);
      expect(reached).toEqual([]);
      // The check at start and both requests: one line.
      expect(logged).toEqual([expect.stringContaining('LATCHKEY_UNAVAILABLE')]);
    },
  );

  /** How each row of the table comes about: the request, and the app's options for it. */
  interface Scenario {
    token: () => Promise<string>;
    options?: () => Promise<Partial<LatchkeyOptions>>;
    path?: string;
    /** Requests with the token that pass before the one that is refused. */
    passes?: number;
    headers: { challenge?: string; retry?: unknown };
  }
  const owner = () => asOwner(biz);
  const made = (body: Record<string, unknown> = {}) =>
    createToken(t, owner(), body).then((token) => token.secret);
  const SCENARIOS: Record<string, Scenario> = {
    INVALID_TOKEN: { token: () => Promise.resolve(stranger()), headers: {} },
    TOKEN_EXPIRED: {
      token: async () => {
        const token = await createToken(t, owner(), { name: 'expired' });
        await t.sql('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
          dbTime(t.driver, new Date(Date.now() - 60_000)),
          token.id,
        ]);
        return token.secret;
      },
      headers: {},
    },
    TOKEN_REVOKED: {
      token: async () => {
        const token = await createToken(t, owner(), { name: 'revoked' });
        await revoke(t, owner(), token.id).expect(201);
        return token.secret;
      },
      headers: {},
    },
    TOKEN_DISABLED: {
      token: async () => {
        const token = await createToken(t, owner(), { name: 'paused' });
        await t.http().post(`/api/v1/tokens/${token.id}/disable`).set(owner()).expect(200);
        return token.secret;
      },
      headers: {},
    },
    BUSINESS_MISMATCH: {
      token: () => Promise.resolve(valid.secret),
      options: async () => ({ businessId: (await createBusiness(t)).id }),
      headers: {},
    },
    BUSINESS_SUSPENDED: {
      token: async () => {
        const other = await createBusiness(t);
        const token = await createToken(t, asOwner(other), { name: 'of a suspended business' });
        await suspend(t, other.id).expect(200);
        return token.secret;
      },
      headers: {},
    },
    INSUFFICIENT_SCOPE: {
      token: () => made({ scopes: ['billing:read'] }),
      path: '/orders',
      headers: { challenge: SCOPE_CHALLENGE },
    },
    IP_NOT_ALLOWED: { token: () => made({ allowed_cidrs: ['10.0.0.0/8'] }), headers: {} },
    FORBIDDEN: {
      token: () => Promise.resolve(stranger()),
      options: async () => ({
        baseUrl: await stub((_, res) =>
          res
            .writeHead(403, { 'content-type': 'application/json' })
            .end(JSON.stringify({ success: false, code: 'A_CODE_OF_TOMORROW', detail: null })),
        ),
      }),
      headers: {},
    },
    RATE_LIMITED: {
      token: () => made({ rate_limit_per_minute: 1 }),
      passes: 1,
      headers: { retry: expect.stringMatching(/^[1-9][0-9]?$/) },
    },
    USES_EXHAUSTED: { token: () => made({ uses_limit: 1 }), passes: 1, headers: {} },
    LATCHKEY_MISCONFIGURED: {
      token: () => Promise.resolve(valid.secret),
      options: () => Promise.resolve({ verifierOptions: { gatewaySecret: WRONG } }),
      headers: {},
    },
    LATCHKEY_UNAVAILABLE: {
      token: () => Promise.resolve(valid.secret),
      options: async () => ({ baseUrl: await closedPort() }),
      headers: { retry: '5' },
    },
  };

  it('the error table has a case here for each of its rows, and no other', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(ERROR_TABLE.map((row) => row.code).sort());
  });

  it.each(ERROR_TABLE.map((row) => [row.code, row] as const))(
    'table row %s: its status, code and message, and the handler never runs',
    async (code, row) => {
      const scenario = SCENARIOS[code];
      const secret = await scenario.token();
      const sut = await start((await scenario.options?.()) ?? {});
      const path = scenario.path ?? '/whoami';
      const headers = bearer(secret);
      for (let i = 0; i < (scenario.passes ?? 0); i++) {
        expect((await sut.get(path, headers)).status).toBe(200);
      }

      const answer = await sut.get(path, headers);

      const challenge = row.status === 401 ? INVALID_CHALLENGE : scenario.headers.challenge;
      expect(seen(answer)).toEqual(refusal(row.status, code, { ...scenario.headers, challenge }));
      expect(answer.body).toMatchObject({ code: row.code, message: row.message });
      expect(reached).toHaveLength(scenario.passes ?? 0);
    },
  );
}

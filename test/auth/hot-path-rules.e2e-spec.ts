import type { Test } from 'supertest';
import { TokensRepository } from '../../src/tokens/store/repositories/tokens.repository';
import {
  BusinessFixture,
  createBusiness,
  createToken,
  IssuedToken,
} from '../factories/tenancy.factory';
import { asMember, asOwner, Caller, revoke, suspend } from '../harness/app/api';
import { beforeMoment, sleepPast } from '../harness/app/clock';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * A warm token is answered at once, with no promise (`TokenVerifier.verify` and the
 * guards on a cache hit, and the fast paths of `GET /auth/verify` and `GET /api/v1/me`). The
 * attacker's question: does a token that stops being good stay good on that path? Each rule,
 * through both routes: the token answers from the cache, the rule changes, and the next requests
 * are refused, the last of them (at least) answered from the cache, which the verifier's
 * repository spy proves by not being asked.
 */

/** A client address inside the networks a constrained token starts with (TRUST_PROXY=1). */
const CLIENT_IP = '10.1.2.3';

type Route = 'verify' | 'me';

interface Rule {
  rule: string;
  /** The token, as its owner makes it. */
  make: (t: TestApp, b: BusinessFixture) => Promise<IssuedToken>;
  /**
   * What stops it being good; `ask` sends one request of the route under test. With `moment`,
   * the case is set up (made, warmed, changed) before `at`, and then waits past it.
   */
  change: (
    t: TestApp,
    b: BusinessFixture,
    tok: IssuedToken,
    ask: () => Test,
    at?: Date,
  ) => Promise<void>;
  moment?: true;
  /** The gateway's requirements besides its business, on `/auth/verify`. */
  requires?: Record<string, string>;
  /** The refusal, by route. */
  refused: Record<Route, { status: number; code: string | null }>;
}

const plain = (t: TestApp, b: BusinessFixture) => createToken(t, asOwner(b), { name: 'hot' });

const RULES: Rule[] = [
  {
    rule: 'revoked',
    make: plain,
    change: async (t, b, tok) => {
      await revoke(t, asOwner(b), tok.id).expect(201);
    },
    refused: {
      verify: { status: 401, code: 'TOKEN_REVOKED' },
      me: { status: 401, code: 'TOKEN_REVOKED' },
    },
  },
  {
    rule: 'disabled',
    make: plain,
    change: async (t, b, tok) => {
      await t.http().post(`/api/v1/tokens/${tok.id}/disable`).set(asOwner(b)).send({}).expect(200);
    },
    refused: {
      verify: { status: 401, code: 'TOKEN_DISABLED' },
      me: { status: 401, code: 'TOKEN_DISABLED' },
    },
  },
  {
    // The clock, not an event: the snapshot cached after the narrowing says "active" until the
    // expiry passes, and a hit must hold it to the time.
    rule: 'expired',
    make: plain,
    change: async (t, b, tok, ask, at) => {
      await patch(t, b, tok, { expires_at: at!.toISOString() }).expect(200);
      expect((await ask()).status).toBeLessThan(300);
    },
    moment: true,
    refused: {
      verify: { status: 401, code: 'TOKEN_EXPIRED' },
      me: { status: 401, code: 'TOKEN_EXPIRED' },
    },
  },
  {
    // Two uses answer the warm-up (a read, then a hit); the change spends the third and last.
    rule: 'out of uses',
    make: (t, b) => createToken(t, asOwner(b), { name: 'hot', uses_limit: 3 }),
    change: async (_t, _b, _tok, ask) => {
      expect((await ask()).status).toBeLessThan(300);
    },
    refused: {
      verify: { status: 429, code: 'USES_EXHAUSTED' },
      me: { status: 429, code: 'USES_EXHAUSTED' },
    },
  },
  {
    rule: 'IP not allowed',
    make: (t, b) => createToken(t, asOwner(b), { name: 'hot', allowed_cidrs: ['10.0.0.0/8'] }),
    change: async (t, b, tok) => {
      await patch(t, b, tok, { allowed_cidrs: ['10.9.0.0/16'] }).expect(200);
    },
    refused: {
      verify: { status: 403, code: 'IP_NOT_ALLOWED' },
      me: { status: 403, code: 'IP_NOT_ALLOWED' },
    },
  },
  {
    rule: 'business suspended',
    make: plain,
    change: async (t, b) => {
      await suspend(t, b.id).expect(200);
    },
    refused: {
      verify: { status: 403, code: 'BUSINESS_SUSPENDED' },
      me: { status: 403, code: 'BUSINESS_SUSPENDED' },
    },
  },
  {
    // `/api/v1/me` needs no scope, so narrowing refuses only the gateway that requires one; /me
    // still answers, and its answer shows the narrowed scopes.
    rule: 'insufficient scope',
    make: (t, b) => createToken(t, asOwner(b), { name: 'hot', scopes: ['orders:read', 'x:y'] }),
    change: async (t, b, tok) => {
      await patch(t, b, tok, { scopes: ['x:y'] }).expect(200);
    },
    requires: { 'x-latchkey-require-scope': 'orders:read' },
    refused: {
      verify: { status: 403, code: 'INSUFFICIENT_SCOPE' },
      me: { status: 200, code: null },
    },
  },
];

const patch = (t: TestApp, b: BusinessFixture, tok: IssuedToken, body: object): Test =>
  t.http().patch(`/api/v1/tokens/${tok.id}`).set(asOwner(b)).send(body);

describe.each(DRIVERS)(
  'a warm token, refused on the cache hit once a rule says so, on %s',
  (driver) => {
    let t: TestApp;
    let lookups: jest.SpiedFunction<TokensRepository['findForVerifierAnyBusiness']>;

    beforeAll(async () => {
      // The longest TTL allowed, so every hit below is the cache's, and every eviction an event's.
      t = await bootTestApp(driver, { TRUST_PROXY: '1', TOKEN_CACHE_TTL_MS: '10000' });
      lookups = jest.spyOn(t.app.get(TokensRepository), 'findForVerifierAnyBusiness');
    });
    afterAll(async () => {
      jest.restoreAllMocks();
      await t.close();
    });

    const cases = RULES.flatMap((rule) =>
      (['verify', 'me'] as const).map((route) => ({ ...rule, route })),
    );

    it.each(cases)('$rule, through $route', async (rule) => {
      const { make, change, requires, refused, route } = rule;
      const b = await createBusiness(t);
      const setUp = async (at?: Date) => {
        const tok = await make(t, b);
        const caller: Caller =
          route === 'verify'
            ? {
                authorization: `Bearer ${tok.secret}`,
                'x-latchkey-business': b.id,
                ...requires,
              }
            : asMember(tok.secret, b.id);
        const ask = () =>
          t
            .http()
            .get(route === 'verify' ? '/auth/verify' : '/api/v1/me')
            .set({ ...caller, 'x-forwarded-for': CLIENT_IP });
        const ok = route === 'verify' ? 204 : 200;

        // Warm: the first request reads the token, the next are the cache's.
        await ask().expect(ok);
        lookups.mockClear();
        await ask().expect(ok);
        expect(lookups).not.toHaveBeenCalled();

        await change(t, b, tok, ask, at);
        return ask;
      };
      let ask: () => Test;
      if (rule.moment) {
        // Windows inside the cache's TTL: the last answer below must still be the warm entry's.
        const set = await beforeMoment(setUp, { firstMs: 3_000, longestMs: 8_000 });
        ask = set.value;
        await sleepPast(set.at);
      } else {
        ask = await setUp();
      }

      const answers: { status: number; code: string | null }[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await ask();
        answers.push({ status: res.status, code: res.status < 300 ? null : res.body.code });
      }
      expect(answers).toEqual([refused[route], refused[route]]);
      // The last answer was the cache's own: the verifier read nothing for it.
      lookups.mockClear();
      const res = await ask();
      expect({ status: res.status, code: res.status < 300 ? null : res.body.code }).toEqual(
        refused[route],
      );
      expect(lookups).not.toHaveBeenCalled();
      if (route === 'me' && res.status === 200) {
        expect(res.body.data.token.scopes).toEqual(['x:y']);
      }
    });
  },
);

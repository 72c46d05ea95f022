import type { Response } from 'supertest';
import Redis from 'ioredis';
import { AppConfig } from '../../../src/config/app-config';
import { UsesMeter } from '../../../src/tokens/usage/uses/uses-meter';
import { BusinessFixture, createBusiness, createToken } from '../../factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  getToken,
  listTokens,
  me,
  rotate,
} from '../../harness/app/api';
import { expectError } from '../../harness/app/assertions';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { expectValidation } from '../../harness/app/token-checks';
import { LEDGER_CASES, ledgerEnv } from './uses-ledgers';
import { TEST_REDIS_URL } from '../../setup/servers';

const DAY = 86_400_000;
/**
 * Noon UTC today: the next daily refill is 12 h away. Tokens are made on the real clock, so the
 * suite's clock starts on their day (a run that crosses midnight UTC would fail, not pass).
 */
const NOON = Math.floor(Date.now() / DAY) * DAY + DAY / 2;
const nextMonth = (ms: number) => {
  const at = new Date(ms);
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
};

/**
 * Uses that run out: `uses_limit` and `refill` at create, one use per authenticated
 * request, 429 USES_EXHAUSTED (with Retry-After iff a refill is due) and not revoked, the count
 * in the view, `/me`, introspection and `/auth/verify`, no children and successors that take the
 * count, narrowing only down, bad input refused, and nothing seen from another business.
 */
describe.each(LEDGER_CASES)('Uses that run out on %s, counted in the %s', (driver, ledger) => {
  let t: TestApp;
  let b: BusinessFixture;
  let meter: UsesMeter;
  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '10000', ...ledgerEnv(ledger) });
    b = await createBusiness(t);
    meter = t.app.get(UsesMeter);
  });
  afterEach(() => {
    meter.clock = Date.now;
  });
  afterAll(() => t?.close());

  const limited = (body: object = {}) =>
    createToken(t, asOwner(b), { name: 'metered', uses_limit: 3, ...body });
  /** The stored view, once what the ledger counted is written back (Redis: within a second). */
  const viewOf = async (id: string) => {
    await meter.flush(false);
    return (await getToken(t, asOwner(b), id).expect(200)).body.data as Record<string, unknown>;
  };
  const expectExhausted = (res: Response, retryAfter: string | undefined) => {
    expectError(res, 429, 'USES_EXHAUSTED');
    // 'any': a refill is due, whenever it is.
    if (retryAfter === 'any') expect(res.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
    else expect(res.headers['retry-after']).toBe(retryAfter);
  };

  it('spends one use per request, then answers 429 USES_EXHAUSTED without revoking', async () => {
    const tok = await limited();
    expect(tok.view).toMatchObject({ uses_limit: 3, uses_remaining: 3, refill: null });
    const seen: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      seen.push(
        (await me(t, asMember(tok.secret, b.id)).expect(200)).body.data.token.uses_remaining,
      );
    }
    expect(seen).toEqual([2, 1, 0]);
    expectExhausted(await me(t, asMember(tok.secret, b.id)), undefined);
    expect(await viewOf(tok.id)).toMatchObject({ status: 'active', uses_remaining: 0 });
    const intro = await t
      .http()
      .post('/oauth2/introspect')
      .set(asBearer(t.platformToken))
      .send({ token: tok.secret })
      .expect(200);
    expect(intro.body).toMatchObject({ active: true, uses_remaining: 0 });
  });

  it('shows the count in the list, and nothing for a token with no limit', async () => {
    const tok = await limited({ uses_limit: 10 });
    const plain = await createToken(t, asOwner(b), { name: 'plain' });
    await me(t, asMember(tok.secret, b.id)).expect(200);
    const mine = await me(t, asMember(plain.secret, b.id)).expect(200);
    expect(mine.body.data.token).toMatchObject({ uses_limit: null, uses_remaining: null });
    await meter.flush(false);
    const items = (await listTokens(t, asOwner(b), { limit: 200 }).expect(200)).body.data
      .items as Record<string, unknown>[];
    expect(items.find((i) => i.id === tok.id)).toMatchObject({ uses_limit: 10, uses_remaining: 9 });
    expect(items.find((i) => i.id === plain.id)).toMatchObject({ uses_remaining: null });
  });

  it('spends on /auth/verify too, and says what is left in X-Latchkey-Uses-Remaining', async () => {
    const tok = await limited({ uses_limit: 2 });
    const verify = () => t.http().get('/auth/verify').set(asBearer(tok.secret));
    expect((await verify().expect(204)).headers['x-latchkey-uses-remaining']).toBe('1');
    expect((await verify().expect(204)).headers['x-latchkey-uses-remaining']).toBe('0');
    expectExhausted(await verify(), undefined);
  });

  it('refills at the start of the UTC day, and says when in Retry-After', async () => {
    meter.clock = () => NOON;
    const tok = await limited({ uses_limit: 2, refill: { interval: 'daily', amount: 2 } });
    expect(tok.view.refill).toEqual({ interval: 'daily', amount: 2 });
    await me(t, asMember(tok.secret, b.id)).expect(200);
    await me(t, asMember(tok.secret, b.id)).expect(200);
    expectExhausted(await me(t, asMember(tok.secret, b.id)), String(12 * 3600));
    meter.clock = () => NOON + DAY / 2 - 1000;
    expectExhausted(await me(t, asMember(tok.secret, b.id)), '1');
    meter.clock = () => NOON + DAY / 2;
    const next = await me(t, asMember(tok.secret, b.id)).expect(200);
    expect(next.body.data.token.uses_remaining).toBe(1);
  });

  it('refills monthly to the amount, never above the limit', async () => {
    meter.clock = () => NOON;
    const tok = await limited({ uses_limit: 5, refill: { interval: 'monthly', amount: 3 } });
    for (let i = 0; i < 5; i++) await me(t, asMember(tok.secret, b.id)).expect(200);
    expectExhausted(
      await me(t, asMember(tok.secret, b.id)),
      String((nextMonth(NOON) - NOON) / 1000),
    );
    meter.clock = () => nextMonth(NOON);
    expect(
      (await me(t, asMember(tok.secret, b.id)).expect(200)).body.data.token.uses_remaining,
    ).toBe(2);
  });

  it('makes no child of a uses-limited maker, whatever it asks (403 MAKER_HAS_USES_LIMIT)', async () => {
    const maker = await limited({ uses_limit: 5 });
    const asMaker = asMember(maker.secret, b.id);
    for (const body of [
      { name: 'child' },
      { name: 'child', uses_limit: 1 },
      { name: 'child', uses_limit: 1, refill: { interval: 'monthly', amount: 1 } },
    ]) {
      expectError(
        await t.http().post('/api/v1/tokens').set(asMaker).send(body),
        403,
        'MAKER_HAS_USES_LIMIT',
      );
    }
    // Each refusal was a request served: it spent its use.
    expect((await me(t, asMaker).expect(200)).body.data.token.uses_remaining).toBe(1);
  });

  it('hands a successor the uses left, and its grace-period predecessor none', async () => {
    const tok = await limited({ uses_limit: 5, refill: { interval: 'daily', amount: 5 } });
    await me(t, asMember(tok.secret, b.id)).expect(200);
    const self = await rotate(t, asMember(tok.secret, b.id), tok.id, { grace_period_seconds: 60 });
    expect(self.status).toBe(201);
    // Two uses went: one on /me, one on the rotation itself.
    expect(self.body.data).toMatchObject({
      uses_limit: 5,
      uses_remaining: 3,
      refill: { interval: 'daily', amount: 5 },
    });
    expectExhausted(await me(t, asMember(tok.secret, b.id)), 'any');
    const next = self.body.data as { id: string; token: string };
    await me(t, asMember(next.token, b.id)).expect(200);
    const byOwner = await rotate(t, asOwner(b), next.id).expect(201);
    expect(byOwner.body.data).toMatchObject({ uses_remaining: 2 });
  });

  it('narrows uses_limit only down, taking the count with it', async () => {
    const tok = await limited({ uses_limit: 10 });
    const patch = (body: object) =>
      t.http().patch(`/api/v1/tokens/${tok.id}`).set(asOwner(b)).send(body);
    const wider = await patch({ uses_limit: 11 });
    expectError(wider, 403, 'WIDENING_NOT_ALLOWED', expect.any(Array));
    expect(wider.body.detail).toEqual([
      expect.objectContaining({ loc: ['body', 'uses_limit'], type: 'widening' }),
    ]);
    await me(t, asMember(tok.secret, b.id)).expect(200);
    const lower = await patch({ uses_limit: 2 }).expect(200);
    expect(lower.body.data).toMatchObject({ uses_limit: 2, uses_remaining: 2 });
    expect(
      (await me(t, asMember(tok.secret, b.id)).expect(200)).body.data.token.uses_remaining,
    ).toBe(1);
    await me(t, asMember(tok.secret, b.id)).expect(200);
    expectExhausted(await me(t, asMember(tok.secret, b.id)), undefined);
    // A member's own token cannot raise its own limit either.
    const own = await t
      .http()
      .patch(`/api/v1/tokens/${tok.id}`)
      .set(asMember(tok.secret, b.id))
      .send({ uses_limit: 100 });
    expect(own.status).toBe(429);
  });

  it('lets a token with no limit be given one', async () => {
    const plain = await createToken(t, asOwner(b), { name: 'plain' });
    await t
      .http()
      .patch(`/api/v1/tokens/${plain.id}`)
      .set(asOwner(b))
      .send({ uses_limit: 1 })
      .expect(200);
    await me(t, asMember(plain.secret, b.id)).expect(200);
    expectExhausted(await me(t, asMember(plain.secret, b.id)), undefined);
  });

  it.each([
    ['uses_limit 0', { uses_limit: 0 }, ['body', 'uses_limit']],
    ['uses_limit above 10^9', { uses_limit: 1_000_000_001 }, ['body', 'uses_limit']],
    ['uses_limit a string', { uses_limit: '5' }, ['body', 'uses_limit']],
    ['uses_limit a fraction', { uses_limit: 1.5 }, ['body', 'uses_limit']],
    ['uses_limit null', { uses_limit: null }, ['body', 'uses_limit']],
    [
      'refill weekly',
      { uses_limit: 5, refill: { interval: 'weekly', amount: 1 } },
      ['body', 'refill', 'interval'],
    ],
    [
      'refill amount 0',
      { uses_limit: 5, refill: { interval: 'daily', amount: 0 } },
      ['body', 'refill', 'amount'],
    ],
    [
      'refill amount a string',
      { uses_limit: 5, refill: { interval: 'daily', amount: '1' } },
      ['body', 'refill', 'amount'],
    ],
    [
      'refill without amount',
      { uses_limit: 5, refill: { interval: 'daily' } },
      ['body', 'refill', 'amount'],
    ],
    ['refill a string', { uses_limit: 5, refill: 'daily' }, ['body', 'refill']],
    [
      'refill above the limit',
      { uses_limit: 5, refill: { interval: 'daily', amount: 6 } },
      ['body', 'refill', 'amount'],
    ],
    ['refill with no limit', { refill: { interval: 'daily', amount: 1 } }, ['body', 'refill']],
  ])('refuses %s (422 at its loc)', async (_name, body, loc) => {
    const res = await t
      .http()
      .post('/api/v1/tokens')
      .set(asOwner(b))
      .send({ name: 'bad', ...body });
    expectValidation(res, loc);
  });

  it('reserves uses ahead in the database, and a clean shutdown gives back the unspent', async () => {
    if (ledger !== 'database') return;
    const own = await bootTestApp(driver);
    const biz = await createBusiness(own);
    const tok = await createToken(own, asOwner(biz), { name: 'metered', uses_limit: 1000 });
    const stored = async (app: TestApp) =>
      (
        await app.sql<{ uses_remaining: number }>(
          'SELECT uses_remaining FROM api_tokens WHERE id = ?',
          [tok.id],
        )
      )[0].uses_remaining;
    await me(own, asMember(tok.secret, biz.id)).expect(200);
    // A block of 10 (a hundredth of what is left) was written before the first was granted.
    expect(Number(await stored(own))).toBe(990);
    const view = await getToken(own, asOwner(biz), tok.id).expect(200);
    expect(view.body.data.uses_remaining).toBe(999);
    await own.close({ keepDatabase: true });
    const again = await bootTestApp(driver, {}, own.db);
    try {
      expect(Number(await stored(again))).toBe(999);
    } finally {
      await again.close();
    }
  });

  it('keeps a count in Redis no longer than a day past its token’s expiry', async () => {
    if (ledger !== 'redis') return;
    const tok = await limited({ expires_in_days: 2 });
    await me(t, asMember(tok.secret, b.id)).expect(200);
    const redis = new Redis(TEST_REDIS_URL!);
    try {
      const key = `${t.app.get(AppConfig).REDIS_KEY_PREFIX}uses:${tok.id}`;
      expect(await redis.hget(key, 'l')).toBe('2');
      expect(await redis.pexpiretime(key)).toBe(Date.parse(tok.view.expires_at!) + DAY);
    } finally {
      redis.disconnect();
    }
  });

  it('shows another business nothing: 404 for the token, inactive for introspection', async () => {
    const tok = await limited();
    const other = await createBusiness(t);
    expectError(await getToken(t, asOwner(other), tok.id), 404, 'TOKEN_NOT_FOUND');
    const intro = await t
      .http()
      .post('/oauth2/introspect')
      .set(asOwner(other))
      .send({ token: tok.secret })
      .expect(200);
    expect(intro.body).toEqual({ active: false });
  });
});

import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { InvalidationMessage, RevocationBus } from '../../../src/bus/revocation-bus';
import { mintSecret } from '../../../src/tokens/token-secret';
import {
  addMember,
  createBusiness,
  createToken,
  createUnexpiringBusiness,
} from '../../factories/tenancy.factory';
import { asMember, asOwner, me, suspend } from './api';
import { sleep } from './assertions';
import type { TestApp } from './test-app';
import { eventually } from '../patience';

/**
 * The key cases of the Redis-backed suites, written once and run on every topology: one server
 * (test/redis-bus and test/rate-limit, on REDIS_URL), Sentinel and Cluster (their own suites,
 * on servers they start). Each takes two instances on one database and one Redis.
 */
export interface RedisPair {
  a: TestApp;
  b: TestApp;
  /** The keys matching `pattern` on every node (KEYS on each master of a Cluster). */
  keys(pattern: string): Promise<string[]>;
  prefix: string;
}

/** The environment of the bus cases' pair, beside the topology's own variables. */
export const BUS_ENV = { TOKEN_CACHE_TTL_MS: '10000' };

/**
 * Polls `probe` until it is true while an entry cached at `cachedAt` (BUS_ENV's TTL) would still
 * be served: true then is the bus's doing, not the entry's age. How soon it comes is the bench's
 * to measure (bench/sections/propagation.ts), not a clock a busy machine could break.
 */
export function heardBeforeTtl(probe: () => Promise<boolean>, cachedAt: number) {
  return eventually(probe, cachedAt + Number(BUS_ENV.TOKEN_CACHE_TTL_MS) - Date.now());
}

/** The environment of the limit cases' pair: every limit small, one proxy hop trusted. */
export const LIMITS_ENV = {
  TRUST_PROXY: '1',
  RATE_LIMIT_OAUTH_PER_MINUTE: '3',
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3',
  RATE_LIMIT_IDENTITY_PER_MINUTE: '3',
  TOKEN_CACHE_TTL_MS: '0',
};

export function uniquePrefix(): string {
  return `latchkey-test-${randomBytes(6).toString('hex')}:`;
}

/** Waits until each app's bus is subscribed. */
export async function busesUp(apps: TestApp[], withinMs = 60_000): Promise<void> {
  for (const app of apps) {
    await eventually(() => app.app.get(RevocationBus).state.connected, withinMs);
  }
}

/** A 429 in the API's error shape, with a plain integer-seconds Retry-After. */
export function expectRateLimited(res: Response): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({
    status: 429,
    code: 'RATE_LIMITED',
  });
  expect(res.body).toEqual({
    success: false,
    message: expect.any(String),
    code: 'RATE_LIMITED',
    detail: expect.any(String),
    request_id: expect.any(String),
  });
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
  // Only the plain header: not the library's per-throttler `Retry-After-<name>`.
  expect(Object.keys(res.headers).filter((h) => h.startsWith('retry-after'))).toEqual([
    'retry-after',
  ]);
}

/** Registers the bus cases: what one instance changes, the other refuses within 1 s. */
export function busCases(pair: () => Pick<RedisPair, 'a' | 'b'>): void {
  it('reports the bus up in readiness', async () => {
    const res = await pair().b.http().get('/health/ready').expect(200);
    expect(res.body.details.bus).toEqual({ status: 'up', transport: 'redis' });
    expect(res.body.details.redis).toEqual({ status: 'up' });
  });

  it('a revocation on A is refused by B before its cache runs out, and by A at once', async () => {
    const { a, b } = pair();
    const biz = await createBusiness(a);
    const alice = await addMember(a, biz);
    const cachedAt = Date.now();
    await me(b, asMember(alice.token, biz.id)).expect(200);
    await me(b, asMember(alice.token, biz.id)).expect(200);
    const view = await me(a, asMember(alice.token, biz.id)).expect(200);
    const tokenId = view.body.data.token.id as string;

    await a
      .http()
      .post(`/api/v1/tokens/${tokenId}/revoke`)
      .set(asMember(biz.ownerToken, biz.id))
      .send({})
      .expect(201);
    expect((await me(a, asMember(alice.token, biz.id))).status).toBe(401);
    await heardBeforeTtl(
      async () => (await me(b, asMember(alice.token, biz.id))).status === 401,
      cachedAt,
    );
  });

  it('a suspension on A is refused by B before its cache runs out', async () => {
    const { a, b } = pair();
    const biz = await createBusiness(a);
    const cachedAt = Date.now();
    await me(b, asOwner(biz)).expect(200);
    await suspend(a, biz.id).expect(200);
    await heardBeforeTtl(async () => (await me(b, asOwner(biz))).status === 403, cachedAt);
  });

  it('a member removed on A is refused by B before its cache runs out', async () => {
    const { a, b } = pair();
    const biz = await createBusiness(a);
    const alice = await addMember(a, biz);
    const cachedAt = Date.now();
    await me(b, asMember(alice.token, biz.id)).expect(200);
    await a
      .http()
      .delete(`/api/v1/members/${alice.identityId}`)
      .set(asMember(biz.ownerToken, biz.id))
      .expect(200);
    await heardBeforeTtl(
      async () => (await me(b, asMember(alice.token, biz.id))).status === 401,
      cachedAt,
    );
  });

  it('the publishing instance hears its own message once (its echo is skipped)', async () => {
    const { a } = pair();
    const seen: InvalidationMessage[] = [];
    const unsubscribe = a.app.get(RevocationBus).subscribe((m) => seen.push(m));
    try {
      const biz = await createBusiness(a);
      await suspend(a, biz.id).expect(200);
      // Give an echo time to come back from Redis; B's side shows the round trip is short.
      await sleep(300);
      expect(seen.filter((m) => m.business_id === biz.id)).toEqual([
        { type: 'business.changed', business_id: biz.id },
      ]);
    } finally {
      unsubscribe();
    }
  });
}

const unknownToken = () => mintSecret('lk').secret;

/** Registers the limit cases: every limit is one budget across both instances (LIMITS_ENV). */
export function limitCases(pair: () => RedisPair): void {
  // Addresses of this registration's own, so budgets never leak between tests or runs.
  const run = randomBytes(2);
  let hosts = 0;
  const freshIp = () => `203.${run[0]}.${run[1]}.${++hosts}`;
  const revokeFrom = (t: TestApp, ip: string) =>
    t.http().post('/oauth2/revoke').set('x-forwarded-for', ip).send({ token: unknownToken() });

  it('shares the oauth budget of an IP between two instances', async () => {
    const { a, b } = pair();
    const ip = freshIp();
    await revokeFrom(a, ip).expect(200);
    await revokeFrom(b, ip).expect(200);
    await revokeFrom(a, ip).expect(200);
    expectRateLimited(await revokeFrom(b, ip));
    expectRateLimited(await revokeFrom(a, ip));
    // Another address keeps its own budget.
    await revokeFrom(b, freshIp()).expect(200);
  });

  it('shares the failed-authentication budget of an IP between two instances', async () => {
    const { a, b } = pair();
    const ip = freshIp();
    const fail = (t: TestApp) =>
      t
        .http()
        .get('/platform/v1/businesses')
        .set('x-forwarded-for', ip)
        .set('authorization', `Bearer ${unknownToken()}`);
    expect((await fail(a)).status).toBe(401);
    expect((await fail(b)).status).toBe(401);
    expect((await fail(a)).status).toBe(401);
    expectRateLimited(await fail(b));
    expectRateLimited(await fail(a));
  });

  it('shares the budget of an identity between two instances', async () => {
    const { a, b } = pair();
    const biz = await createBusiness(a);
    await me(a, asOwner(biz)).expect(200);
    await me(b, asOwner(biz)).expect(200);
    await me(a, asOwner(biz)).expect(200);
    expectRateLimited(await me(b, asOwner(biz)));
  });

  it('shares a token’s own limit between two instances', async () => {
    const { a, b, keys, prefix } = pair();
    const biz = await createUnexpiringBusiness(a);
    // The owner's identity has spent 1 of its 3 here, and spends 1 more: the token's limit of 1
    // is what refuses the second call.
    const limited = await createToken(a, asOwner(biz), { name: 'one', rate_limit_per_minute: 1 });
    const caller = asMember(limited.secret, biz.id);
    await me(b, caller).expect(200);
    expectRateLimited(await me(a, caller));
    expect(await keys(`${prefix}throttle:*token:${limited.id}*`)).toHaveLength(1);
  });

  it('keeps its counters under the configured key prefix, and nothing outside it', async () => {
    const { keys, prefix } = pair();
    const all = await keys(`${prefix}*`);
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((key) => !key.startsWith(`${prefix}throttle:`))).toEqual([]);
  });
}

import { randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import {
  BusinessFixture,
  createBusiness,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asBearer, asMember, asOwner, revoke } from '../harness/app/api';
import { dbTime } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { businessCounts, flush, outcomesOf, platformCounts, totalOf } from './analytics-api';

/**
 * Every outcome, produced for real on both kinds of route (an API route, and a gateway's check)
 * and counted once: the table is the outcomes, crossed with the route kinds. Each case spends a
 * token of its own, so its counts are its alone. Credits are spent by gateway checks alone, so
 * `credits_exhausted` is produced on /auth/verify, in a business whose balance is spent.
 */

type Kind = 'api' | 'verify';
const KINDS: Kind[] = ['api', 'verify'];

interface Case {
  /** The token's terms, as created. */
  terms?: Record<string, unknown>;
  /** What happens to it before it is presented. */
  prepare?: (t: TestApp, biz: BusinessFixture, token: { id: string }) => Promise<unknown>;
  /** Valid calls made first (those that spend a limit). */
  before?: number;
  /** The call that comes to the outcome, past the usual one. */
  call?: (t: TestApp, kind: Kind, secret: string, ctx: { other: string; biz: string }) => Test;
  status: Record<Kind, number>;
  /** The answer's error code (none for a valid call). */
  code?: string;
}

const present = (t: TestApp, kind: Kind, secret: string, biz: string, headers = {}) =>
  kind === 'api'
    ? t.http().get('/api/v1/me').set(asMember(secret, biz)).set(headers)
    : t.http().get('/auth/verify').set(asBearer(secret)).set(headers);

const CASES: Record<string, Case> = {
  valid: { status: { api: 200, verify: 204 } },
  revoked: {
    prepare: (t, biz, token) => revoke(t, asOwner(biz), token.id).expect(201),
    status: { api: 401, verify: 401 },
    code: 'TOKEN_REVOKED',
  },
  expired: {
    prepare: (t, _biz, token) =>
      t.sql('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
        dbTime(t.driver, new Date(Date.now() - 60_000)),
        token.id,
      ]),
    status: { api: 401, verify: 401 },
    code: 'TOKEN_EXPIRED',
  },
  disabled: {
    prepare: (t, biz, token) =>
      t.http().post(`/api/v1/tokens/${token.id}/disable`).set(asOwner(biz)).send({}).expect(200),
    status: { api: 401, verify: 401 },
    code: 'TOKEN_DISABLED',
  },
  rate_limited: {
    terms: { rate_limit_per_minute: 1 },
    before: 1,
    status: { api: 429, verify: 429 },
    code: 'RATE_LIMITED',
  },
  uses_exhausted: {
    terms: { uses_limit: 1 },
    before: 1,
    status: { api: 429, verify: 429 },
    code: 'USES_EXHAUSTED',
  },
  ip_not_allowed: {
    terms: { allowed_cidrs: ['10.0.0.0/8'] },
    status: { api: 403, verify: 403 },
    code: 'IP_NOT_ALLOWED',
  },
  insufficient_scope: {
    terms: { scopes: [] },
    call: (t, kind, secret, { biz }) =>
      kind === 'api'
        ? t.http().get('/api/v1/audit-events').set(asMember(secret, biz))
        : present(t, kind, secret, biz, { 'x-latchkey-require-scope': 'orders:read' }),
    status: { api: 403, verify: 403 },
    code: 'INSUFFICIENT_SCOPE',
  },
  business_refused: {
    call: (t, kind, secret, { other }) =>
      present(t, kind, secret, other, kind === 'verify' ? { 'x-latchkey-business': other } : {}),
    status: { api: 403, verify: 403 },
    code: 'BUSINESS_MISMATCH',
  },
  refused: {
    terms: { audiences: ['https://elsewhere.example.com'] },
    status: { api: 401, verify: 401 },
    code: 'INVALID_TOKEN',
  },
};

const TABLE = Object.keys(CASES).flatMap((outcome) =>
  KINDS.map((kind) => [outcome, kind] as const),
);

describe.each(DRIVERS)('verification outcomes on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let other: BusinessFixture;

  beforeAll(async () => {
    t = await bootTestApp(driver, { TRUST_PROXY: '127.0.0.1' });
    biz = await createUnexpiringBusiness(t);
    other = await createBusiness(t);
  });
  afterAll(() => t?.close());

  it.each(TABLE)('counts %s once on the %s route', async (outcome, kind) => {
    const c = CASES[outcome];
    const token = await createToken(t, asOwner(biz), { name: `${outcome}-${kind}`, ...c.terms });
    await c.prepare?.(t, biz, token);
    for (let i = 0; i < (c.before ?? 0); i++) {
      expect((await present(t, kind, token.secret, biz.id)).status).toBe(
        kind === 'api' ? 200 : 204,
      );
    }
    const call = c.call ?? ((tt, k, s, ids) => present(tt, k, s, ids.biz));
    const res = await call(t, kind, token.secret, { biz: biz.id, other: other.id });
    expect({ status: res.status, code: res.body?.code ?? undefined }).toEqual({
      status: c.status[kind],
      code: c.code,
    });
    await flush(t);

    const expected = { [outcome]: 1, ...(c.before ? { valid: c.before } : {}) };
    const byToken = { group_by: 'token,outcome' };
    expect(outcomesOf(await platformCounts(t, byToken), token.id)).toEqual(expected);
    // The business sees its own token's, refusals included.
    expect(outcomesOf(await businessCounts(t, asOwner(biz), byToken), token.id)).toEqual(expected);
  });

  it.each(KINDS)('counts an unknown token on the %s route for the platform alone', async (kind) => {
    const unknown = async () =>
      outcomesOf(await platformCounts(t, { group_by: 'token,outcome' }), null).unknown ?? 0;
    const ownerTotal = async () => totalOf(await businessCounts(t, asOwner(biz)));
    await flush(t);
    const [before, ownersBefore] = [await unknown(), await ownerTotal()];
    await flush(t);
    for (const secret of [`lk_${'x'.repeat(36)}`, 'not-a-token']) {
      expect((await present(t, kind, secret, biz.id)).status).toBe(401);
    }
    await flush(t);
    expect(await unknown()).toBe(before + 2);
    // The owner's own reads since are all the business sees grow.
    const ownersAfter = await ownerTotal();
    expect(ownersAfter - ownersBefore).toBeLessThanOrEqual(3);
  });

  it('counts a check refused for credits as credits_exhausted, once', async () => {
    const broke = await createUnexpiringBusiness(t);
    await t
      .http()
      .put('/api/v1/credits/business')
      .set(asOwner(broke))
      .send({ balance: 0 })
      .expect(200);
    const token = await createToken(t, asOwner(broke), { name: 'no-credits' });
    const res = await present(t, 'verify', token.secret, broke.id);
    expect({ status: res.status, code: res.body?.code }).toEqual({
      status: 429,
      code: 'CREDITS_EXHAUSTED',
    });
    await flush(t);
    const answer = await platformCounts(t, { group_by: 'token,outcome' });
    expect(outcomesOf(answer, token.id)).toEqual({ credits_exhausted: 1 });
  });

  it('counts a token whose request failed for another reason (a 404, a 422) as valid', async () => {
    const token = await createToken(t, asOwner(biz), { name: 'failing' });
    await t
      .http()
      .get(`/api/v1/tokens/${randomUUID()}`)
      .set(asMember(token.secret, biz.id))
      .expect(404);
    await t.http().get('/api/v1/tokens/not-a-uuid').set(asMember(token.secret, biz.id)).expect(422);
    await flush(t);
    const answer = await platformCounts(t, { group_by: 'token,outcome' });
    expect(outcomesOf(answer, token.id)).toEqual({ valid: 2 });
  });

  it('does not count a request that presented no token', async () => {
    await flush(t);
    const before = totalOf(await platformCounts(t));
    await flush(t);
    await t.http().get('/api/v1/me').set({ 'x-business-id': biz.id }).expect(401);
    await t.http().get('/health/live').expect(200);
    await flush(t);
    // The platform's own read between is the one verification more.
    expect(totalOf(await platformCounts(t)) - before).toBe(1);
  });
});

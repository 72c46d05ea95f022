import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, me } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { businessCounts, countsOf, flush, platformCounts } from './analytics-api';

const ROUTE = '/api/v1/analytics/verifications';
const PLATFORM_ROUTE = '/platform/v1/analytics/verifications';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Who reads whose verification counts: a business only its own (another's id is 403), a member
 * only their own tokens' (the token list's rule), the platform every business's; and the
 * windows a read may span.
 */
describe.each(DRIVERS)('analytics access on %s', (driver) => {
  let t: TestApp;
  let a: BusinessFixture;
  let b: BusinessFixture;
  let aToken: string;
  let bToken: string;

  beforeAll(async () => {
    t = await bootTestApp(driver);
    a = await createUnexpiringBusiness(t);
    b = await createBusiness(t);
    const ta = await createToken(t, asOwner(a), { name: 'a-busy' });
    const tb = await createToken(t, asOwner(b), { name: 'b-busy' });
    await me(t, asMember(ta.secret, a.id)).expect(200);
    await me(t, asMember(tb.secret, b.id)).expect(200);
    [aToken, bToken] = [ta.id, tb.id];
    await flush(t);
  });
  afterAll(() => t?.close());

  const tokensIn = (answer: Parameters<typeof countsOf>[0]) =>
    new Set(countsOf(answer).map((c) => c.token_id));

  it("refuses a business's token reading another business's analytics (403)", async () => {
    for (const path of [ROUTE, `${ROUTE}/export`]) {
      const res = await t.http().get(path).set(asMember(a.ownerToken, b.id));
      expectError(res, 403, 'BUSINESS_MISMATCH');
    }
  });

  it("names each token of an export by token beside its id, the business's own and the platform's", async () => {
    const named = await createToken(t, asOwner(a), { name: '=SUM(1,2) "deploy"' });
    await me(t, asMember(named.secret, a.id)).expect(200);
    await flush(t);
    const exported = async (path: string, caller: Record<string, string>, format: string) =>
      (
        await t
          .http()
          .get(path)
          .query({ granularity: 'minute', group_by: 'token', format })
          .set(caller)
          .expect(200)
      ).text;
    const csv = (await exported(`${ROUTE}/export`, asOwner(a), 'csv')).split('\r\n');
    expect(csv[0]).toBe('start,token_id,token_name,count');
    // Quoted, quotes doubled, the formula defused; another business's token is not there.
    const row = csv.find((l) => l.includes(named.id));
    expect(row?.endsWith(`,${named.id},"'=SUM(1,2) ""deploy""",1`)).toBe(true);
    expect(csv.some((l) => l.includes(bToken))).toBe(false);
    const lines = (await exported(`${PLATFORM_ROUTE}/export`, asPlatform(t), 'ndjson'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { token_id: string; token_name: string | null });
    const names = new Map(lines.map((l) => [l.token_id, l.token_name]));
    expect([names.get(named.id), names.get(bToken)]).toEqual(['=SUM(1,2) "deploy"', 'b-busy']);
  });

  it("answers a business its own tokens' counts, never another's", async () => {
    const byToken = { group_by: 'token' };
    const seen = tokensIn(await businessCounts(t, asOwner(a), byToken));
    expect(seen.has(aToken)).toBe(true);
    expect(seen.has(bToken)).toBe(false);
    expect(seen.has(null)).toBe(false);
  });

  it('answers the platform every business, and one with business_id', async () => {
    const all = tokensIn(await platformCounts(t, { group_by: 'token' }));
    expect(all.has(aToken) && all.has(bToken)).toBe(true);
    const onlyB = tokensIn(await platformCounts(t, { group_by: 'token', business_id: b.id }));
    expect(onlyB.has(bToken)).toBe(true);
    expect(onlyB.has(aToken)).toBe(false);
  });

  it('refuses the platform route to a business token', async () => {
    const res = await t
      .http()
      .get(PLATFORM_ROUTE)
      .set({ authorization: `Bearer ${a.ownerToken}` });
    expectError(res, 403, 'PLATFORM_ADMIN_REQUIRED');
  });

  it("shows a member their own tokens' verifications alone, and the owner everyone's", async () => {
    const member = await addMember(t, a);
    const other = await addMember(t, a);
    await me(t, asMember(member.token, a.id)).expect(200);
    await me(t, asMember(other.token, a.id)).expect(200);
    await flush(t);
    const byIdentity = { group_by: 'identity,token' };
    const mine = countsOf(await businessCounts(t, asMember(member.token, a.id), byIdentity));
    expect(mine.length).toBeGreaterThan(0);
    expect(new Set(mine.map((c) => c.identity_id))).toEqual(new Set([member.identityId]));
    const owners = countsOf(await businessCounts(t, asOwner(a), byIdentity));
    const identities = new Set(owners.map((c) => c.identity_id));
    expect(identities.has(member.identityId) && identities.has(other.identityId)).toBe(true);
  });

  it("narrows to one token with token_id, and a member to none of another's", async () => {
    const second = await createToken(t, asOwner(a), { name: 'a-second' });
    await me(t, asMember(second.secret, a.id)).expect(200);
    const member = await addMember(t, a);
    await flush(t);
    const one = countsOf(
      await businessCounts(t, asOwner(a), { group_by: 'token', token_id: aToken }),
    );
    expect(new Set(one.map((c) => c.token_id))).toEqual(new Set([aToken]));
    const theirs = countsOf(
      await businessCounts(t, asMember(member.token, a.id), {
        group_by: 'token',
        token_id: aToken,
      }),
    );
    expect(theirs).toEqual([]);
    const res = await t.http().get(ROUTE).query({ token_id: 'x' }).set(asOwner(a));
    expectError(res, 422, 'VALIDATION_ERROR');
  });

  it('shows an admin whose token lacks tokens:admin their own alone', async () => {
    const admin = await addMember(t, a, 'admin');
    const narrow = await createToken(t, asMember(admin.token, a.id), { scopes: ['audit:read'] });
    await flush(t);
    const seen = countsOf(
      await businessCounts(t, asMember(narrow.secret, a.id), { group_by: 'identity' }),
    );
    expect(new Set(seen.map((c) => c.identity_id))).toEqual(new Set([admin.identityId]));
  });

  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  it.each([
    ['minute', 25 * HOUR_MS],
    ['hour', 32 * DAY_MS],
    ['day', 367 * DAY_MS],
  ])('refuses a window of %s buckets past its bound (422 on from)', async (granularity, span) => {
    const res = await t
      .http()
      .get(ROUTE)
      .query({ granularity, from: iso(now - span), to: iso(now) })
      .set(asOwner(a));
    expectError(res, 422, 'VALIDATION_ERROR', [
      expect.objectContaining({ loc: ['query', 'from'] }),
    ]);
  });

  it.each([
    ['minute', 24 * HOUR_MS],
    ['hour', 31 * DAY_MS],
    ['day', 366 * DAY_MS],
  ])('answers a window of %s buckets at its bound', async (granularity, span) => {
    await businessCounts(t, asOwner(a), { granularity, from: iso(now - span), to: iso(now) });
  });

  it.each([
    [{ from: iso(now), to: iso(now - HOUR_MS) }, ['query', 'to']],
    [{ granularity: 'week' }, ['query', 'granularity']],
    [{ group_by: 'outcome,secret' }, ['query', 'group_by']],
    [{ from: 'yesterday' }, ['query', 'from']],
  ])('refuses %p as 422', async (query, loc) => {
    const res = await t.http().get(ROUTE).query(query).set(asOwner(a));
    expectError(res, 422, 'VALIDATION_ERROR', [expect.objectContaining({ loc })]);
  });

  it('refuses the platform a business_id that is not a uuid', async () => {
    const res = await t.http().get(PLATFORM_ROUTE).query({ business_id: 'x' }).set(asPlatform(t));
    expectError(res, 422, 'VALIDATION_ERROR', [
      expect.objectContaining({ loc: ['query', 'business_id'] }),
    ]);
  });
});

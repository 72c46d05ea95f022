import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, Caller, revoke } from '../harness/app/api';
import { dbTime, expectBearerError, expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * GET /api/v1/tokens/summary: the home page's counts, seen as the token list sees tokens. Each
 * count is checked by how it moves, so tokens the fixtures make do not matter.
 */

interface Summary {
  counted: 'business' | 'own';
  as_of: string;
  active: number;
  expiring_soon: number;
  disabled: number;
  risky: number;
  revoked_last_7_days: number;
  console_sessions: number;
  expiring_first: { id: string; name: string; expires_at: string }[];
}
const COUNTS = ['active', 'expiring_soon', 'disabled', 'risky', 'revoked_last_7_days'] as const;
type Counts = Record<(typeof COUNTS)[number], number>;
const DAY_MS = 86_400_000;

describe.each(DRIVERS)('the token summary on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  beforeAll(async () => {
    // No verifier caching, so rows edited directly in SQL are seen on the next request.
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    // The owner's token never expires, so a token it makes need not either.
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  const get = (caller: Caller) => t.http().get('/api/v1/tokens/summary').set(caller);
  const summaryOf = async (caller: Caller): Promise<Summary> => {
    const res = await get(caller);
    expect({ status: res.status, body: res.status === 200 ? null : res.body }).toEqual({
      status: 200,
      body: null,
    });
    return res.body.data as Summary;
  };
  /** How each count moved between two summaries. */
  const moved = (before: Summary, after: Summary): Counts =>
    Object.fromEntries(COUNTS.map((k) => [k, after[k] - before[k]])) as Counts;
  const none: Counts = {
    active: 0,
    expiring_soon: 0,
    disabled: 0,
    risky: 0,
    revoked_last_7_days: 0,
  };
  const setColumn = (id: string, column: string, at: Date) =>
    t.sql(`UPDATE api_tokens SET ${column} = ? WHERE id = ?`, [dbTime(t.driver, at), id]);
  const disable = (caller: Caller, id: string) =>
    t.http().post(`/api/v1/tokens/${id}/disable`).set(caller).send({ reason: 'test' }).expect(200);

  it('answers counts of the business for an owner, and is not read as a token id', async () => {
    const s = await summaryOf(asOwner(biz));
    expect(s.counted).toBe('business');
    expect(Math.abs(Date.parse(s.as_of) - Date.now())).toBeLessThan(60_000);
    for (const k of COUNTS) expect(Number.isInteger(s[k]) && s[k] >= 0).toBe(true);
    expect(s.active).toBeGreaterThanOrEqual(1);
  });

  it('moves each count as a token is made, disabled, revoked and expires', async () => {
    const owner = asOwner(biz);
    let before = await summaryOf(owner);
    const soon = await createToken(t, owner, {
      name: 'soon',
      expires_in_days: 3,
      scopes: ['audit:read'],
    });
    expect(moved(before, await summaryOf(owner))).toEqual({ ...none, active: 1, expiring_soon: 1 });

    // Open in every way at once: no expiry, no networks, unrestricted scopes.
    before = await summaryOf(owner);
    const open = await createToken(t, owner, { name: 'open' });
    expect(moved(before, await summaryOf(owner))).toEqual({ ...none, active: 1, risky: 1 });

    before = await summaryOf(owner);
    await createToken(t, owner, { name: 'later', expires_in_days: 30, scopes: [] });
    expect(moved(before, await summaryOf(owner))).toEqual({ ...none, active: 1 });

    before = await summaryOf(owner);
    await disable(owner, soon.id);
    // Disabled, it no longer works: it leaves the active count for the disabled one.
    expect(moved(before, await summaryOf(owner))).toEqual({ ...none, active: -1, disabled: 1 });

    before = await summaryOf(owner);
    await revoke(t, owner, open.id, { reason: 'done' }).expect(201);
    expect(moved(before, await summaryOf(owner))).toEqual({
      ...none,
      active: -1,
      risky: -1,
      revoked_last_7_days: 1,
    });

    before = await summaryOf(owner);
    await setColumn(soon.id, 'expires_at', new Date(Date.now() - 1000));
    expect(moved(before, await summaryOf(owner))).toEqual({
      ...none,
      expiring_soon: -1,
      disabled: -1,
    });
  });

  it('counts a revocation of the last 7 days only, and a token unused for 90 days as risky', async () => {
    const owner = asOwner(biz);
    const old = await createToken(t, owner, { name: 'old-revoked', scopes: [] });
    await revoke(t, owner, old.id).expect(201);
    let before = await summaryOf(owner);
    await setColumn(old.id, 'revoked_at', new Date(Date.now() - 8 * DAY_MS));
    expect(moved(before, await summaryOf(owner))).toEqual({ ...none, revoked_last_7_days: -1 });

    const stale = await createToken(t, owner, { name: 'stale', scopes: [] });
    before = await summaryOf(owner);
    await setColumn(stale.id, 'created_at', new Date(Date.now() - 91 * DAY_MS));
    expect(moved(before, await summaryOf(owner))).toEqual({ ...none, risky: 1 });
  });

  it('counts a console session apart: active, but never expiring soon nor listed as such', async () => {
    const own = await createUnexpiringBusiness(t);
    const owner = asOwner(own);
    const before = await summaryOf(owner);
    const session = await createToken(t, owner, { name: 'console-session', expires_in_days: 1 });
    // What an SSO sign-in makes: a token of origin console-sso, hours long.
    await t.sql("UPDATE api_tokens SET origin = 'console-sso' WHERE id = ?", [session.id]);
    await setColumn(session.id, 'expires_at', new Date(Date.now() + 8 * 3600_000));
    const after = await summaryOf(owner);
    expect(moved(before, after)).toEqual({ ...none, active: 1 });
    expect(after.console_sessions - before.console_sessions).toBe(1);
    expect(after.expiring_first.map((v) => v.id)).not.toContain(session.id);
    await createToken(t, owner, { name: 'lapsing', expires_in_days: 1 });
    expect(moved(after, await summaryOf(owner))).toEqual({ ...none, active: 1, expiring_soon: 1 });
  });

  it('counts active and disabled exactly as the list filtered by that status has them', async () => {
    const owner = asOwner(biz);
    const made = await createToken(t, owner, { name: 'to-disable', scopes: [] });
    await disable(owner, made.id);
    const listed = async (status: string) => {
      const res = await t.http().get('/api/v1/tokens').query({ status, limit: 200 }).set(owner);
      expect(res.status).toBe(200);
      expect(res.body.data.next_cursor).toBeNull();
      return res.body.data.items as { id: string; status: string }[];
    };
    const s = await summaryOf(owner);
    const [active, disabled] = [await listed('active'), await listed('disabled')];
    expect([active.length, disabled.length]).toEqual([s.active, s.disabled]);
    expect(active.every((v) => v.status === 'active')).toBe(true);
    expect(disabled.every((v) => v.status === 'disabled')).toBe(true);
    expect(disabled.map((v) => v.id)).toContain(made.id);
  });

  it('counts as risky exactly what GET /api/v1/tokens/risky lists, for an owner and a member', async () => {
    const member = await addMember(t, biz, 'member');
    await createToken(t, asMember(member.token, biz.id), { name: 'members-open' });
    for (const caller of [asOwner(biz), asMember(member.token, biz.id)]) {
      const listed = await t.http().get('/api/v1/tokens/risky').query({ limit: 200 }).set(caller);
      expect(listed.status).toBe(200);
      expect(listed.body.data.next_cursor).toBeNull();
      expect((await summaryOf(caller)).risky).toBe(listed.body.data.items.length);
    }
  });

  it('lists the tokens that expire soonest within 7 days, soonest first, at most 5', async () => {
    const own = await createUnexpiringBusiness(t);
    const owner = asOwner(own);
    const before = await summaryOf(owner);
    const days = [6, 2, 30, 4, 1, 5, 3];
    for (const d of days) await createToken(t, owner, { name: `in-${d}-days`, expires_in_days: d });
    const s = await summaryOf(owner);
    expect(s.expiring_soon - before.expiring_soon).toBe(6);
    expect(s.expiring_first.map((v) => v.name)).toEqual([
      'in-1-days',
      'in-2-days',
      'in-3-days',
      'in-4-days',
      'in-5-days',
    ]);
    const member = await addMember(t, own, 'member');
    const seen = await summaryOf(asMember(member.token, own.id));
    expect(seen.expiring_first.every((v) => !v.name.startsWith('in-'))).toBe(true);
  });

  it("counts a member's own tokens only, never another person's", async () => {
    const member = await addMember(t, biz, 'member');
    const asIt = asMember(member.token, biz.id);
    const first = await summaryOf(asIt);
    // Their first token, and nothing else of the business.
    expect(first).toMatchObject({ counted: 'own', active: 1, disabled: 0, revoked_last_7_days: 0 });

    const owners = await createToken(t, asOwner(biz), { name: 'owners', expires_in_days: 2 });
    await disable(asOwner(biz), owners.id);
    expect(moved(first, await summaryOf(asIt))).toEqual(none);

    await createToken(t, asIt, { name: 'mine', expires_in_days: 2 });
    const after = await summaryOf(asIt);
    expect(moved(first, after)).toEqual({ ...none, active: 1, expiring_soon: 1 });
    expect(after.expiring_first.map((v) => v.name)).not.toContain('owners');
  });

  it('counts own tokens only for an admin whose token does not allow tokens:admin', async () => {
    const admin = await addMember(t, biz, 'admin');
    const narrow = await createToken(t, asMember(admin.token, biz.id), {
      name: 'narrow',
      scopes: ['audit:read'],
    });
    const wide = await summaryOf(asMember(admin.token, biz.id));
    const own = await summaryOf(asMember(narrow.secret, biz.id));
    expect(wide.counted).toBe('business');
    expect(own).toMatchObject({ counted: 'own', active: 2 });
    expect(wide.active).toBeGreaterThan(own.active);
  });

  it("never counts another business's tokens; a platform token counts the business it names", async () => {
    const other = await createBusiness(t);
    const before = await summaryOf(asOwner(biz));
    const otherBefore = await summaryOf(asOwner(other));
    await createToken(t, asOwner(other), { name: 'elsewhere', expires_in_days: 1 });
    expect(moved(before, await summaryOf(asOwner(biz)))).toEqual(none);
    expect(moved(otherBefore, await summaryOf(asOwner(other)))).toMatchObject({
      active: 1,
      expiring_soon: 1,
    });

    // A's token naming B is refused before anything is counted.
    expectError(await get(asMember(biz.ownerToken, other.id)), 403, 'BUSINESS_MISMATCH');
    const platform = await summaryOf({ ...asPlatform(t), 'x-business-id': other.id });
    const seenByOwner = await summaryOf(asOwner(other));
    expect({ ...platform, as_of: null }).toEqual({ ...seenByOwner, as_of: null });
    expect(platform.counted).toBe('business');
  });

  it('refuses a caller with no token, no business header, or a business that does not exist', async () => {
    expectBearerError(await t.http().get('/api/v1/tokens/summary').set('x-business-id', biz.id));
    expectError(
      await t.http().get('/api/v1/tokens/summary').set('authorization', `Bearer ${biz.ownerToken}`),
      422,
      'VALIDATION_ERROR',
    );
    const unknown = '00000000-0000-4000-8000-000000000000';
    expectError(
      await get({ ...asPlatform(t), 'x-business-id': unknown }),
      404,
      'BUSINESS_NOT_FOUND',
    );
  });
});

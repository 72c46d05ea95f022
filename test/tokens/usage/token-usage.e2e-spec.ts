import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import {
  TokenUsageRecorder,
  USAGE_FLUSH_INTERVAL_MS,
} from '../../../src/tokens/usage/token-usage-recorder';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
  createUnexpiringBusiness,
  IssuedToken,
  TokenView,
} from '../../factories/tenancy.factory';
import { asMember, asOwner, Caller, listTokens, me, revoke } from '../../harness/app/api';
import { dbTime as dbTimeOf, expectError, sleep } from '../../harness/app/assertions';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { expectValidation } from '../../harness/app/token-checks';
import { DRIVERS } from '../../setup/servers';

/**
 * What a token's use tells: its requests per hour and the addresses it came from, the
 * token list by last use, and the risky tokens overview.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

interface UsageHour {
  hour: string;
  requests: number;
  ok_count: number;
  client_error_count: number;
}
type RiskyItem = TokenView & { reasons: string[] };

const from = (caller: Caller, ip: string): Caller => ({ ...caller, 'x-forwarded-for': ip });
const ids = (res: Response): string[] => (res.body.data.items as TokenView[]).map((v) => v.id);

describe.each(DRIVERS)('token usage on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  beforeAll(async () => {
    t = await bootTestApp(driver, { TRUST_PROXY: '1' });
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  const dbTime = (date: Date) => dbTimeOf(t.driver, date);
  const recorder = () => t.app.get(TokenUsageRecorder);
  const usage = (caller: Caller, id: string, query: object = {}) =>
    t.http().get(`/api/v1/tokens/${id}/usage`).query(query).set(caller);
  const setTimes = (id: string, times: { created?: Date; lastUsed?: Date | null }) =>
    Promise.all([
      times.created &&
        t.sql('UPDATE api_tokens SET created_at = ? WHERE id = ?', [dbTime(times.created), id]),
      times.lastUsed !== undefined &&
        t.sql('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [
          times.lastUsed && dbTime(times.lastUsed),
          id,
        ]),
    ]);

  describe('GET /api/v1/tokens/{id}/usage', () => {
    it('counts every request, its 2xx and its 4xx, and lists the addresses most recent first', async () => {
      const token = await createToken(t, asOwner(biz), { name: 'counted' });
      const caller = asMember(token.secret, biz.id);
      const ips = ['192.0.2.1', '198.51.100.2', '203.0.113.3'];
      const sent = [
        ...Array.from({ length: 5 }, () => 'ok' as const),
        ...Array.from({ length: 3 }, () => 'missing' as const),
      ];
      for (const [i, kind] of sent.entries()) {
        const ip = ips[i % ips.length];
        const res =
          kind === 'ok'
            ? await me(t, from(caller, ip))
            : await t.http().get(`/api/v1/tokens/${randomUUID()}`).set(from(caller, ip));
        expect(res.status).toBe(kind === 'ok' ? 200 : 404);
        // Apart by a few milliseconds, so "most recent" is one order on both databases.
        await sleep(3);
      }
      await recorder().flush();

      // Read with the owner's token: a read with this one would count itself.
      const res = await usage(asOwner(biz), token.id).expect(200);
      const hours = res.body.data.hours as UsageHour[];
      // Eight requests may straddle an hour's turn: the sum is what was sent.
      const sum = (field: keyof Omit<UsageHour, 'hour'>) => hours.reduce((n, h) => n + h[field], 0);
      expect(hours.length).toBeGreaterThanOrEqual(1);
      expect({
        requests: sum('requests'),
        ok: sum('ok_count'),
        clientErrors: sum('client_error_count'),
      }).toEqual({ requests: 8, ok: 5, clientErrors: 3 });
      // The last request came from ips[1] (index 7), then ips[0] (6), then ips[2] (5).
      expect(res.body.data.recent_ips.map((r: { ip: string }) => r.ip)).toEqual([
        ips[1],
        ips[0],
        ips[2],
      ]);
      expect(res.body.data).toMatchObject({ token_id: token.id, from: expect.any(String) });
    });

    it('is written by the recorder’s own timer, within the batching delay, with nothing flushed by hand', async () => {
      const token = await createToken(t, asOwner(biz), { name: 'timed' });
      for (let i = 0; i < 3; i++) await me(t, asMember(token.secret, biz.id)).expect(200);
      const counted = async () => {
        const res = await usage(asOwner(biz), token.id).expect(200);
        return (res.body.data.hours as UsageHour[]).reduce((n, h) => n + h.requests, 0);
      };
      // The timer writes every USAGE_FLUSH_INTERVAL_MS; allow two of them and a slow write.
      const deadline = Date.now() + 2 * USAGE_FLUSH_INTERVAL_MS + 5_000;
      let n = await counted();
      while (n < 3 && Date.now() < deadline) {
        await sleep(200);
        n = await counted();
      }
      expect(n).toBe(3);
    });

    it('counts a call from outside the token’s networks (403 IP_NOT_ALLOWED) and its address', async () => {
      const token = await createToken(t, asOwner(biz), {
        name: 'bound',
        allowed_cidrs: ['10.0.0.0/8'],
      });
      const caller = asMember(token.secret, biz.id);
      await me(t, from(caller, '10.1.2.3')).expect(200);
      await sleep(3);
      const refused = await me(t, from(caller, '203.0.113.9'));
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('IP_NOT_ALLOWED');
      await recorder().flush();

      const res = await usage(asOwner(biz), token.id).expect(200);
      const hours = res.body.data.hours as UsageHour[];
      const sum = (field: keyof Omit<UsageHour, 'hour'>) => hours.reduce((n, h) => n + h[field], 0);
      expect({
        requests: sum('requests'),
        ok: sum('ok_count'),
        clientErrors: sum('client_error_count'),
      }).toEqual({ requests: 2, ok: 1, clientErrors: 1 });
      expect(res.body.data.recent_ips.map((r: { ip: string }) => r.ip)).toEqual([
        '203.0.113.9',
        '10.1.2.3',
      ]);
    });

    it('keeps the 10 most recently seen of 12 addresses, across two batches', async () => {
      const token = await createToken(t, asOwner(biz), { name: 'roaming' });
      const caller = asMember(token.secret, biz.id);
      const ips = Array.from({ length: 12 }, (_, i) => `10.0.0.${i + 1}`);
      for (const [i, ip] of ips.entries()) {
        await me(t, from(caller, ip)).expect(200);
        await sleep(3);
        // Half written, half pending: the database keeps its 10 as the batch does.
        if (i === 5) await recorder().flush();
      }
      await recorder().flush();

      const res = await usage(asOwner(biz), token.id).expect(200);
      const seen = res.body.data.recent_ips as { ip: string; last_seen_at: string }[];
      expect(seen.map((r) => r.ip)).toEqual([...ips].reverse().slice(0, 10));
      const kept = await t.sql('SELECT ip FROM token_usage_ips WHERE token_id = ?', [token.id]);
      expect(kept).toHaveLength(10);
      const hours = res.body.data.hours as UsageHour[];
      expect(hours.reduce((n, h) => n + h.requests, 0)).toBe(12);
    });

    it("hides another member's token: 404, and no usage", async () => {
      const alice = await addMember(t, biz, 'member');
      const bob = await addMember(t, biz, 'member');
      const alices = await createToken(t, asMember(alice.token, biz.id), { name: 'alice' });
      await me(t, asMember(alices.secret, biz.id)).expect(200);
      await recorder().flush();

      expectError(await usage(asMember(bob.token, biz.id), alices.id), 404, 'TOKEN_NOT_FOUND');
      await usage(asMember(alice.token, biz.id), alices.id).expect(200);
      // Another business's owner does not see it either.
      const other = await createBusiness(t);
      expectError(await usage(asOwner(other), alices.id), 404, 'TOKEN_NOT_FOUND');
    });

    it.each([
      ['from after to', { from: '2026-03-02T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' }, 'to'],
      [
        'from equal to to',
        { from: '2026-03-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' },
        'to',
      ],
      [
        'more than 30 days',
        { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
        'from',
      ],
      [
        'from in the future, to left out',
        { from: new Date(Date.now() + DAY_MS).toISOString() },
        'from',
      ],
    ])('refuses a window %s: 422', async (_, query, field) => {
      const token = await createToken(t, asOwner(biz), { name: 'windowed' });
      expectValidation(await usage(asOwner(biz), token.id, query), ['query', field]);
    });

    it('accepts a window of exactly 30 days', async () => {
      const token = await createToken(t, asOwner(biz), { name: 'window-30' });
      await usage(asOwner(biz), token.id, {
        from: '2026-01-01T00:00:00.000Z',
        to: '2026-01-31T00:00:00.000Z',
      }).expect(200);
    });

    it('deleteExpired(now) deletes hours and addresses older than 30 days, and keeps the rest', async () => {
      const token = await createToken(t, asOwner(biz), { name: 'retained' });
      const now = new Date();
      const cutoff = now.getTime() - 30 * DAY_MS;
      const old = new Date(cutoff - 60 * 60 * 1000);
      const young = new Date(cutoff + 60 * 60 * 1000);
      for (const hour of [old, young]) {
        await t.sql(
          'INSERT INTO token_usage_hours (token_id, hour, business_id, requests, ok_count, client_error_count) VALUES (?, ?, ?, 1, 1, 0)',
          [token.id, dbTime(hour), biz.id],
        );
      }
      for (const [ip, seen] of [
        ['192.0.2.10', old],
        ['192.0.2.11', young],
      ] as const) {
        await t.sql(
          'INSERT INTO token_usage_ips (token_id, ip, business_id, last_seen_at) VALUES (?, ?, ?, ?)',
          [token.id, ip, biz.id, dbTime(seen)],
        );
      }

      expect(await recorder().deleteExpired(now)).toBeGreaterThanOrEqual(2);

      const hours = await t.sql<{ hour: unknown }>(
        'SELECT hour FROM token_usage_hours WHERE token_id = ?',
        [token.id],
      );
      const ips = await t.sql<{ ip: string }>('SELECT ip FROM token_usage_ips WHERE token_id = ?', [
        token.id,
      ]);
      expect(hours).toHaveLength(1);
      expect(ips.map((r) => r.ip)).toEqual(['192.0.2.11']);
    });
  });

  describe('GET /api/v1/tokens?sort=last_used_at', () => {
    let owner: Caller;
    let never: IssuedToken[];
    let used: IssuedToken[];
    const base = Date.now() - 10 * DAY_MS;
    beforeAll(async () => {
      const b = await createBusiness(t);
      owner = asOwner(b);
      const make = (name: string) => createToken(t, owner, { name });
      never = [await make('lu-never-1'), await make('lu-never-2')];
      used = [await make('lu-a'), await make('lu-b'), await make('lu-c'), await make('lu-d')];
      // Out of creation order, and two alike, so the id breaks the tie.
      const at = [base + 3000, base + 1000, base + 2000, base + 1000];
      await Promise.all(used.map((u, i) => setTimes(u.id, { lastUsed: new Date(at[i]) })));
    });

    // Only the tokens named lu-: the owner's own are used by these requests, and written later.
    const list = (query: object = {}) =>
      listTokens(t, owner, { name: 'lu-', sort: 'last_used_at', ...query });

    it('lists the never used first (by id), then the least recently used first', async () => {
      const res = await list().expect(200);
      const tied = [used[1].id, used[3].id].sort();
      expect(ids(res)).toEqual([...never.map((n) => n.id).sort(), ...tied, used[2].id, used[0].id]);
      expect(res.body.data.next_cursor).toBeNull();
    });

    it.each([1, 2, 3, 5])(
      'pages of %i walk every token exactly once, in that order',
      async (limit) => {
        const whole = ids(await list().expect(200));
        const walked: string[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const res = await list({ limit, ...(cursor ? { cursor } : {}) }).expect(200);
          walked.push(...ids(res));
          cursor = res.body.data.next_cursor ?? undefined;
          if (!cursor) break;
        }
        expect(walked).toEqual(whole);
        expect(new Set(walked).size).toBe(6);
      },
    );

    it('refuses a created_at cursor, and the other way round: 422 INVALID_CURSOR', async () => {
      const byCreation = await listTokens(t, owner, { name: 'lu-', limit: 1 }).expect(200);
      const created = byCreation.body.data.next_cursor as string;
      expect(created).toEqual(expect.any(String));
      expectError(await list({ cursor: created }), 422, 'INVALID_CURSOR');

      const byUse = await list({ limit: 1 }).expect(200);
      const lastUsed = byUse.body.data.next_cursor as string;
      const res = await listTokens(t, owner, { name: 'lu-', cursor: lastUsed });
      expectError(res, 422, 'INVALID_CURSOR');
    });
  });

  describe('GET /api/v1/tokens/risky', () => {
    let rb: BusinessFixture;
    let owner: Caller;
    beforeAll(async () => {
      // The owner's token never expires, so it may make tokens that never expire.
      rb = await createUnexpiringBusiness(t);
      owner = asOwner(rb);
    });

    const risky = (caller: Caller, query: object = {}) =>
      t.http().get('/api/v1/tokens/risky').query(query).set(caller);
    const riskyItems = async (caller: Caller): Promise<RiskyItem[]> => {
      const res = await risky(caller, { limit: 200 }).expect(200);
      expect(res.body.data.next_cursor).toBeNull();
      return res.body.data.items as RiskyItem[];
    };
    const find = async (caller: Caller, id: string) =>
      (await riskyItems(caller)).find((item) => item.id === id);

    it('lists a token open in every way with its three reasons, as a full token view', async () => {
      const open = await createToken(t, owner, { name: 'open' });
      const item = await find(owner, open.id);
      expect(item).toEqual({
        ...open.view,
        reasons: ['no_expiry', 'no_network_binding', 'unrestricted_scopes'],
      });
    });

    it.each([
      ['an expiry', { expires_in_days: 30 }],
      ['networks', { allowed_cidrs: ['10.0.0.0/8'] }],
      ['scopes', { scopes: ['audit:read'] }],
      ['no scopes at all ([])', { scopes: [] }],
    ])('does not list a recent token with %s', async (_, body) => {
      const token = await createToken(t, owner, { name: 'closed', ...body });
      expect(await find(owner, token.id)).toBeUndefined();
    });

    it('never lists a revoked or an expired token, however risky', async () => {
      const revoked = await createToken(t, owner, { name: 'revoked' });
      await revoke(t, owner, revoked.id).expect(201);
      const expired = await createToken(t, owner, { name: 'expired', expires_in_days: 1 });
      const old = new Date(Date.now() - 200 * DAY_MS);
      await setTimes(expired.id, { created: old });
      await setTimes(revoked.id, { created: old });
      await t.sql('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
        dbTime(new Date(Date.now() - DAY_MS)),
        expired.id,
      ]);
      const listed = (await riskyItems(owner)).map((i) => i.id);
      expect(listed).not.toContain(revoked.id);
      expect(listed).not.toContain(expired.id);
    });

    it("shows a member only their own; an owner sees the member's", async () => {
      const member = await addMember(t, rb, 'member');
      const mc = asMember(member.token, rb.id);
      // A member's first token expires, and caps what it makes: made risky by age instead.
      const stale = await createToken(t, mc, { name: 'member-stale' });
      await setTimes(stale.id, { created: new Date(Date.now() - 100 * DAY_MS) });
      const ownersOpen = await createToken(t, owner, { name: 'owner-open' });

      const mine = await riskyItems(mc);
      expect(mine.map((i) => i.id)).toEqual([stale.id]);
      expect(mine[0].reasons).toEqual([
        'no_network_binding',
        'unrestricted_scopes',
        'unused_90_days',
      ]);
      const all = (await riskyItems(owner)).map((i) => i.id);
      expect(all).toEqual(expect.arrayContaining([stale.id, ownersOpen.id]));
    });

    it('shows an admin whose token does not allow tokens:admin only their own', async () => {
      const admin = await addMember(t, rb, 'admin');
      const ac = asMember(admin.token, rb.id);
      const narrow = await createToken(t, ac, { name: 'admin-narrow', scopes: ['audit:read'] });
      const stale = await createToken(t, ac, { name: 'admin-stale', scopes: ['audit:read'] });
      await setTimes(stale.id, { created: new Date(Date.now() - 100 * DAY_MS) });
      await createToken(t, owner, { name: 'owner-open-2' });

      const seen = await riskyItems(asMember(narrow.secret, rb.id));
      expect(seen.map((i) => i.id)).toEqual([stale.id]);
      // The same admin with a token that allows tokens:admin sees the business's.
      expect((await riskyItems(ac)).length).toBeGreaterThan(1);
    });

    it('pages with a cursor walk the list in creation order, each token once', async () => {
      const whole = (await riskyItems(owner)).map((i) => i.id);
      expect(whole.length).toBeGreaterThan(2);
      const walked: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages <= whole.length; pages++) {
        const res = await risky(owner, { limit: 2, ...(cursor ? { cursor } : {}) }).expect(200);
        walked.push(...ids(res));
        cursor = res.body.data.next_cursor ?? undefined;
        if (!cursor) break;
      }
      expect(walked).toEqual(whole);
      const created = (await riskyItems(owner)).map((i) => i.created_at);
      expect([...created].sort()).toEqual(created);
    });

    it('refuses a bad cursor or limit: 422', async () => {
      expectError(await risky(owner, { cursor: 'nope' }), 422, 'INVALID_CURSOR');
      expectValidation(await risky(owner, { limit: 0 }), ['query', 'limit']);
    });

    /**
     * The rule whole: every combination of expiry, networks, scopes and use. A token is listed
     * when it is open in all three ways, or stale; it then carries every reason that applies.
     */
    const USES = {
      fresh: {},
      old_never_used: { created: 100, lastUsed: null },
      old_used_lately: { created: 100, lastUsed: 1 },
      used_long_ago: { created: 200, lastUsed: 91 },
    } as const;
    const stale = (use: keyof typeof USES) => use === 'old_never_used' || use === 'used_long_ago';
    const rows = [false, true].flatMap((expiry) =>
      [false, true].flatMap((cidrs) =>
        [false, true].flatMap((scopes) =>
          (Object.keys(USES) as (keyof typeof USES)[]).map(
            (use) => [expiry, cidrs, scopes, use] as const,
          ),
        ),
      ),
    );

    it.each(rows)('expiry %s, networks %s, scopes %s, %s', async (expiry, cidrs, scopes, use) => {
      const token = await createToken(t, owner, {
        name: 'table',
        ...(expiry ? { expires_in_days: 30 } : {}),
        ...(cidrs ? { allowed_cidrs: ['10.0.0.0/8'] } : {}),
        ...(scopes ? { scopes: ['audit:read'] } : {}),
      });
      const times = USES[use];
      const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);
      if ('created' in times) {
        await setTimes(token.id, {
          created: daysAgo(times.created),
          lastUsed: times.lastUsed === null ? null : daysAgo(times.lastUsed),
        });
      }

      const reasons = [
        ...(expiry ? [] : ['no_expiry']),
        ...(cidrs ? [] : ['no_network_binding']),
        ...(scopes ? [] : ['unrestricted_scopes']),
        ...(stale(use) ? ['unused_90_days'] : []),
      ];
      const listed = (!expiry && !cidrs && !scopes) || stale(use);
      const item = await find(owner, token.id);
      expect(item?.reasons ?? null).toEqual(listed ? reasons : null);
      if (item) expect(item.status).toBe('active');
    });
  });
});

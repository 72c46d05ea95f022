import { randomUUID } from 'node:crypto';
import { TokenUsageRecorder } from '../../../src/tokens/usage/token-usage-recorder';
import {
  addMember,
  BusinessFixture,
  createToken,
  createUnexpiringBusiness,
} from '../../factories/tenancy.factory';
import { asMember, asOwner, Caller, me } from '../../harness/app/api';
import { dbTime, expectError } from '../../harness/app/assertions';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { DRIVERS } from '../../setup/servers';

/**
 * GET /api/v1/tokens/usage: usage across a business's tokens (the usage screen), the
 * busiest first, over 24 hours, 7 or 30 days, seen as the token list sees tokens.
 */

const HOUR_MS = 3_600_000;

interface Row {
  token: { id: string; name: string };
  requests: number;
  ok_count: number;
  client_error_count: number;
  console_requests: number;
}

describe.each(DRIVERS)('the usage summary on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  const summary = (caller: Caller, query: object = {}) =>
    t.http().get('/api/v1/tokens/usage').query(query).set(caller);
  const rowsOf = async (caller: Caller, query: object = {}) => {
    const res = await summary(caller, query);
    expect(res.status).toBe(200);
    return res.body.data as { totals: Record<string, number>; items: Row[] };
  };
  const send = async (secret: string, ok: number, missing: number) => {
    for (let i = 0; i < ok; i++) await me(t, asMember(secret, biz.id)).expect(200);
    for (let i = 0; i < missing; i++) {
      await t
        .http()
        .get(`/api/v1/tokens/${randomUUID()}`)
        .set(asMember(secret, biz.id))
        .expect(404);
    }
  };
  /** An hour of usage `hoursAgo` hours back, as the recorder writes it. */
  const pastHour = (tokenId: string, hoursAgo: number, requests: number) => {
    const now = Date.now();
    const hour = new Date(now - (now % HOUR_MS) - hoursAgo * HOUR_MS);
    return t.sql(
      'INSERT INTO token_usage_hours (token_id, hour, business_id, requests, ok_count, client_error_count) ' +
        'VALUES (?, ?, ?, ?, ?, ?)',
      [tokenId, dbTime(t.driver, hour), biz.id, requests, requests, 0],
    );
  };

  it('lists the busiest tokens first with their 2xx and 4xx, and totals that add up', async () => {
    const busy = await createToken(t, asOwner(biz), { name: 'busy' });
    const quiet = await createToken(t, asOwner(biz), { name: 'quiet' });
    await createToken(t, asOwner(biz), { name: 'idle' });
    await send(busy.secret, 5, 2);
    await send(quiet.secret, 1, 0);
    await t.app.get(TokenUsageRecorder).flush();

    const { totals, items } = await rowsOf(asOwner(biz));
    const mine = items.filter((r) => ['busy', 'quiet', 'idle'].includes(r.token.name));
    expect(mine.map((r) => [r.token.name, r.requests, r.ok_count, r.client_error_count])).toEqual([
      ['busy', 7, 5, 2],
      ['quiet', 1, 1, 0],
    ]);
    const requests = items.map((r) => r.requests);
    expect(requests).toEqual([...requests].sort((a, b) => b - a));
    expect(totals).toEqual({
      requests: requests.reduce((a, b) => a + b, 0),
      ok_count: items.reduce((a, r) => a + r.ok_count, 0),
      client_error_count: items.reduce((a, r) => a + r.client_error_count, 0),
      console_requests: items.reduce((a, r) => a + r.console_requests, 0),
      tokens_used: items.length,
    });
  });

  it('counts 24 hours, 7 days or 30 days, and refuses another window', async () => {
    const old = await createToken(t, asOwner(biz), { name: 'seasonal' });
    await pastHour(old.id, 23, 10);
    await pastHour(old.id, 24, 100);
    await pastHour(old.id, 24 * 7 - 1, 1000);
    await pastHour(old.id, 24 * 20, 10000);
    const of = async (window?: string) =>
      (await rowsOf(asOwner(biz), window ? { window } : {})).items.find(
        (r) => r.token.id === old.id,
      )?.requests;
    expect(await of()).toBe(10);
    expect(await of('24h')).toBe(10);
    expect(await of('7d')).toBe(1110);
    expect(await of('30d')).toBe(11110);
    expectError(await summary(asOwner(biz), { window: '1y' }), 422, 'VALIDATION_ERROR');
  });

  it("shows a member their own tokens' usage only, and no other business's", async () => {
    const member = await addMember(t, biz, 'member');
    const own = await createToken(t, asMember(member.token, biz.id), { name: 'members-own' });
    await send(own.secret, 2, 0);
    const other = await createUnexpiringBusiness(t);
    const theirs = await createToken(t, asOwner(other), { name: 'elsewhere' });
    await t.http().get('/api/v1/me').set(asMember(theirs.secret, other.id)).expect(200);
    await t.app.get(TokenUsageRecorder).flush();

    const seen = await rowsOf(asMember(member.token, biz.id));
    const ids = seen.items.map((r) => r.token.id);
    expect(ids).toContain(own.id);
    const holders = await t.sql<{ identity_id: string }>(
      `SELECT DISTINCT identity_id FROM api_tokens WHERE id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    expect(holders.map((h) => h.identity_id)).toEqual([member.identityId]);
    const owners = (await rowsOf(asOwner(biz))).items.map((r) => r.token.name);
    expect(owners).toContain('members-own');
    expect(owners).not.toContain('elsewhere');
  });

  /**
   * What the `x-latchkey-client` header says, and whether the call is then the console's: read as
   * the console sign-in setting reads it (any case, a list's element), so the two always agree.
   */
  const CLIENT_HEADERS: [string | undefined, boolean][] = [
    ['console', true],
    [undefined, false],
    ['Console', true],
    ['console, console', true],
    ['swagger, CONSOLE', true],
    [' console', true],
    ['swagger', false],
    ['console-ish', false],
  ];

  it.each(CLIENT_HEADERS)(
    'with x-latchkey-client %p, a call is counted, and as the console’s: %p',
    async (header, isConsole) => {
      const token = await createToken(t, asOwner(biz), { name: `client-${randomUUID()}` });
      const call = t.http().get('/api/v1/me').set(asMember(token.secret, biz.id));
      if (header !== undefined) call.set('x-latchkey-client', header);
      await call.expect(200);
      await t.app.get(TokenUsageRecorder).flush();
      const row = (await rowsOf(asOwner(biz))).items.find((r) => r.token.id === token.id);
      expect(row && [row.requests, row.console_requests]).toEqual([1, isConsole ? 1 : 0]);
    },
  );

  it("ranks by the requests that were not the console's: clicking through the console leads nothing", async () => {
    const clicked = await createToken(t, asOwner(biz), { name: 'signed-in-to-console' });
    const api = await createToken(t, asOwner(biz), { name: 'called-by-an-app' });
    for (let i = 0; i < 6; i++) {
      await me(t, asMember(clicked.secret, biz.id)).set('x-latchkey-client', 'console').expect(200);
    }
    await send(api.secret, 2, 0);
    await t.app.get(TokenUsageRecorder).flush();

    const { items } = await rowsOf(asOwner(biz));
    const names = items.map((r) => r.token.name);
    expect(names.indexOf('called-by-an-app')).toBeLessThan(names.indexOf('signed-in-to-console'));
    const clickedRow = items.find((r) => r.token.id === clicked.id)!;
    // Counted apart, never left out: a caller who says it is the console still shows.
    expect([clickedRow.requests, clickedRow.console_requests]).toEqual([6, 6]);
    const apiFirst = items.map((r) => r.requests - r.console_requests);
    expect(apiFirst).toEqual([...apiFirst].sort((a, b) => b - a));
  });
});

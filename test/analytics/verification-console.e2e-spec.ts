import { VerificationRollups } from '../../src/analytics/recording/verification-rollups';
import { BusinessFixture, createBusiness, createToken } from '../factories/tenancy.factory';
import { asMember, asOwner, revoke } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { businessCounts, flush, outcomesOf, platformCounts } from './analytics-api';

/**
 * The admin console's own calls (it sends `X-Latchkey-Client: console`) are verifications too,
 * counted apart: a read counts the API's by default and says so (`client: "api"`), the console's
 * with `client=console`, both with `client=all`, on the business and platform routes, by minute
 * and once rolled up by hour, and in the export. A person browsing the console no longer moves
 * the API's numbers.
 */
describe.each(DRIVERS)('the console’s verifications counted apart on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let tokenId: string;

  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createBusiness(t);
    const token = await createToken(t, asOwner(biz), { name: 'browsed' });
    tokenId = token.id;
    const me = (headers: Record<string, string> = {}) =>
      t.http().get('/api/v1/me').set(asMember(token.secret, biz.id)).set(headers);
    // Three of the API's calls (one naming another client), then three of the console's: its
    // word in any case, and within a list, as HTTP reads the header.
    await me().expect(200);
    await me().expect(200);
    await me({ 'x-latchkey-client': 'billing-worker' }).expect(200);
    await me({ 'x-latchkey-client': 'console' }).expect(200);
    await me({ 'x-latchkey-client': 'Console' }).expect(200);
    await me({ 'x-latchkey-client': 'sdk, console' }).expect(200);
    await revoke(t, asOwner(biz), tokenId).expect(201);
    await me({ 'x-latchkey-client': 'console' }).expect(401);
    await me().expect(401);
    await flush(t);
  });
  afterAll(() => t?.close());

  const owner = () => asOwner(biz);
  const query = { group_by: 'token,outcome' };

  it('a read counts the API’s calls by default, and says so', async () => {
    const answer = await businessCounts(t, owner(), query);
    expect((answer as unknown as { client: string }).client).toBe('api');
    expect(outcomesOf(answer, tokenId)).toEqual({ valid: 3, revoked: 1 });
  });

  it('client=console counts the console’s alone, client=all both', async () => {
    const console = await businessCounts(t, owner(), { ...query, client: 'console' });
    expect((console as unknown as { client: string }).client).toBe('console');
    expect(outcomesOf(console, tokenId)).toEqual({ valid: 3, revoked: 1 });
    const all = await businessCounts(t, owner(), { ...query, client: 'all' });
    expect(outcomesOf(all, tokenId)).toEqual({ valid: 6, revoked: 2 });
  });

  it('the platform route splits them the same way', async () => {
    const scoped = { ...query, business_id: biz.id };
    expect(outcomesOf(await platformCounts(t, scoped), tokenId)).toEqual({ valid: 3, revoked: 1 });
    const all = await platformCounts(t, { ...scoped, client: 'all' });
    expect(outcomesOf(all, tokenId)).toEqual({ valid: 6, revoked: 2 });
  });

  it('rolled up by hour and day, the split is kept', async () => {
    await t.app.get(VerificationRollups).runTurn();
    for (const granularity of ['hour', 'day']) {
      const from = new Date(Date.now() - 2 * 86_400_000).toISOString();
      const api = await businessCounts(t, owner(), { ...query, granularity, from });
      expect(outcomesOf(api, tokenId)).toEqual({ valid: 3, revoked: 1 });
      const console = await businessCounts(t, owner(), {
        ...query,
        granularity,
        from,
        client: 'console',
      });
      expect(outcomesOf(console, tokenId)).toEqual({ valid: 3, revoked: 1 });
    }
  });

  it('the export counts the client asked for', async () => {
    const csv = async (client?: string) => {
      const res = await t
        .http()
        .get('/api/v1/analytics/verifications/export')
        .query({
          format: 'csv',
          granularity: 'minute',
          group_by: 'outcome',
          from: new Date(Date.now() - 10 * 60_000).toISOString(),
          ...(client ? { client } : {}),
        })
        .set(owner())
        .expect(200);
      return res.text
        .trim()
        .split('\r\n')
        .slice(1)
        .reduce((sum, line) => sum + Number(line.split(',').at(-1)), 0);
    };
    // The owner's own reads above were API calls too: the console's are exactly its four.
    await expect(csv('console')).resolves.toBe(4);
    const api = await csv();
    const all = await csv('all');
    expect(all - api).toBe(4);
  });

  it('refuses a client it does not know, 422 at the query', async () => {
    const res = await t
      .http()
      .get('/api/v1/analytics/verifications')
      .query({ client: 'browser' })
      .set(owner())
      .expect(422);
    expect(res.body.detail[0].loc).toEqual(['query', 'client']);
  });
});

import { createToken, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asBearer, asMember, asOwner, asPlatform } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { countsOf, flush, platformCounts } from './analytics-api';

const TAG = 'x-latchkey-tag';
const SECRET = 'gateway-secret-0123456789';

/** A gateway's check of `secret` with `headers`. */
const check = (t: TestApp, secret: string, headers: Record<string, string> = {}) =>
  t.http().get('/auth/verify').set(asBearer(secret)).set(headers);

/** The counts of the last minutes by tag, for one business, as `{tag: count}`. */
async function byTag(t: TestApp, businessId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const answer = await platformCounts(t, { group_by: 'tag', business_id: businessId });
  for (const c of countsOf(answer)) out[c.tag!] = (out[c.tag!] ?? 0) + c.count;
  return out;
}

/**
 * X-Latchkey-Tag: taken only on a gateway's check from a gateway the installation trusts, refused
 * from anyone else, bounded in form (nothing that could split a CSV cell, an NDJSON line or a log
 * line) and in number (a cap of distinct tags per business and day, past which `(other)`).
 */
describe.each(DRIVERS)('verification tags on %s', (driver) => {
  describe('behind a gateway TRUST_PROXY names', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await bootTestApp(driver, {
        TRUST_PROXY: '127.0.0.1',
        ANALYTICS_TAGS_PER_BUSINESS_DAY: '3',
      });
    });
    afterAll(() => t?.close());

    it('counts a check under its tags, normalized', async () => {
      const biz = await createUnexpiringBusiness(t);
      const tok = await createToken(t, asOwner(biz));
      await check(t, tok.secret, { [TAG]: 'region=eu, endpoint=/v1/things' }).expect(204);
      await check(t, tok.secret, { [TAG]: 'endpoint=/v1/things,region=eu' }).expect(204);
      await check(t, tok.secret).expect(204);
      await flush(t);
      const tags = await byTag(t, biz.id);
      expect(tags).toMatchObject({ 'endpoint=/v1/things,region=eu': 2 });
      expect(tags['']).toBeGreaterThanOrEqual(1);
    });

    it('refuses a tag on any route but the gateway check (403 GATEWAY_NOT_TRUSTED)', async () => {
      const biz = await createUnexpiringBusiness(t);
      const res = await t
        .http()
        .get('/api/v1/me')
        .set(asOwner(biz))
        .set({ [TAG]: 'a=1' });
      expectError(res, 403, 'GATEWAY_NOT_TRUSTED', expect.stringContaining('X-Latchkey-Tag'));
    });

    it.each([
      ['a tab', 'k=a\tb'],
      ['a byte past ASCII', Buffer.from('k=caf\xe9', 'latin1').toString('latin1')],
      ['a next-line byte (U+0085)', 'k=a\x85b'],
      ['five tags', 'a=1,b=2,c=3,d=4,e=5'],
      ['a tag over 128 bytes', `k=${'x'.repeat(127)}`],
      ['an empty tag', 'a=1,,b=2'],
      ['a key that starts a formula', '=cmd=1'],
      ['no key', '=1'],
    ])('refuses %s as 422 on the header', async (_, value) => {
      const biz = await createUnexpiringBusiness(t);
      const res = await check(t, biz.ownerToken, { [TAG]: value });
      expectError(res, 422, 'VALIDATION_ERROR', [
        expect.objectContaining({ loc: ['header', TAG] }),
      ]);
    });

    it('keeps a tag that holds , ; " or a formula from splitting or running in CSV and NDJSON', async () => {
      const biz = await createUnexpiringBusiness(t);
      const tags = 'note=a;=HYPERLINK(1) "c",x=@SUM(1+1)';
      await check(t, biz.ownerToken, { [TAG]: tags }).expect(204);
      await flush(t);
      const query = { granularity: 'minute', group_by: 'tag', business_id: biz.id };
      const path = '/platform/v1/analytics/verifications/export';
      const csv = await t
        .http()
        .get(path)
        .query({ ...query, format: 'csv' })
        .set(asPlatform(t));
      expect(csv.status).toBe(200);
      const lines = csv.text.split('\r\n').filter((l) => l !== '');
      expect(lines[0]).toBe('start,tag,count');
      const tagged = lines.filter((l) => l.includes('note='));
      expect(tagged).toHaveLength(1);
      // Quoted whole (it holds , ; and "), quotes doubled, and the formula a reader splitting
      // on ; would start a cell with defused.
      expect(tagged[0]).toMatch(/^[^,]+,"note=a;'=HYPERLINK\(1\) ""c"",x=@SUM\(1\+1\)",1$/);
      const nd = await t
        .http()
        .get(path)
        .query({ ...query, format: 'ndjson' })
        .set(asPlatform(t));
      expect(nd.status).toBe(200);
      const rows = nd.text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { tag: string; count: number });
      expect(rows.filter((r) => r.tag === tags)).toEqual([expect.objectContaining({ count: 1 })]);
    });

    it('counts tags past the daily cap under (other), so distinct tags cost bounded rows', async () => {
      const biz = await createUnexpiringBusiness(t);
      for (let i = 0; i < 10; i++) {
        await check(t, biz.ownerToken, { [TAG]: `endpoint=/v1/${i}` }).expect(204);
      }
      await flush(t);
      const tags = await byTag(t, biz.id);
      const named = Object.keys(tags).filter((k) => k.startsWith('endpoint='));
      expect({ named: named.length, other: tags['(other)'] }).toEqual({ named: 3, other: 7 });
    });
  });

  describe('from a caller the installation does not trust', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await bootTestApp(driver, { TRUST_PROXY: 'false' });
    });
    afterAll(() => t?.close());

    it('refuses the tag (403 GATEWAY_NOT_TRUSTED, naming the header) and counts nothing', async () => {
      const biz = await createUnexpiringBusiness(t);
      const tok = await createToken(t, asOwner(biz));
      const res = await check(t, tok.secret, { [TAG]: 'endpoint=/v1/things' });
      expectError(res, 403, 'GATEWAY_NOT_TRUSTED', expect.stringContaining('X-Latchkey-Tag'));
      await flush(t);
      const answer = await platformCounts(t, { group_by: 'token', business_id: biz.id });
      expect(countsOf(answer).filter((c) => c.token_id === tok.id)).toEqual([]);
    });
  });

  describe('behind a gateway that sends VERIFY_GATEWAY_SECRET', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await bootTestApp(driver, { VERIFY_GATEWAY_SECRET: SECRET });
    });
    afterAll(() => t?.close());

    it('counts the tag of a check with the secret, and refuses one with another', async () => {
      const biz = await createUnexpiringBusiness(t);
      const gateway = { 'x-latchkey-gateway-secret': SECRET, [TAG]: 'plan=pro' };
      await check(t, biz.ownerToken, gateway).expect(204);
      const wrong = await check(t, biz.ownerToken, {
        ...gateway,
        'x-latchkey-gateway-secret': 'no',
      });
      expectError(wrong, 403, 'GATEWAY_NOT_TRUSTED');
      await flush(t);
      expect(await byTag(t, biz.id)).toMatchObject({ 'plan=pro': 1 });
    });

    it('still refuses a tag on an API route', async () => {
      const biz = await createUnexpiringBusiness(t);
      const res = await t
        .http()
        .get('/api/v1/me')
        .set(asMember(biz.ownerToken, biz.id))
        .set({ [TAG]: 'plan=pro', 'x-latchkey-gateway-secret': SECRET });
      expectError(res, 403, 'GATEWAY_NOT_TRUSTED');
    });
  });
});

import { viewOfRow } from '../../src/audit/codec/audit-codec';
import { AuditRepository } from '../../src/audit/store/audit.repository';
import { envelope } from '../../src/common/http/envelope';
import { decodeCursor } from '../../src/common/validation/pagination';
import { Database } from '../../src/database/connection/read-routing';
import { BusinessFixture, createBusiness, createToken } from '../factories/tenancy.factory';
import { asOwner, asPlatform, listAuditEvents, revoke } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/** Text that JSON escapes, or writes in several UTF-8 bytes, or some readers take for a break. */
const ODD_REASON = 'leaked "in" \\ CI\t logs: naïve € 😀 \u2028 \u0085 end';

/**
 * A page is written from the driver's rows as bytes (`pageJson`), no longer stringified from
 * view objects: its body must stay byte for byte what the views' JSON was, on either driver.
 */
describe.each(DRIVERS)('an audit page on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_OAUTH_PER_MINUTE: '0' });
    biz = await createBusiness(t);
    for (let i = 0; i < 4; i++) {
      const token = await createToken(t, asOwner(biz), { name: `page-${i}` });
      await revoke(t, asOwner(biz), token.id, { reason: `${ODD_REASON} ${i}` }).expect(201);
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  /** The page as the views wrote it: the rows read again, each viewed, enveloped, stringified. */
  async function viaViews(businessId: string | undefined, limit: number, cursor?: string) {
    const audit = t.app.get(AuditRepository);
    const from = t.app.get(Database).primary;
    const after = decodeCursor(cursor);
    const rows = businessId
      ? await audit.pageInBusiness(businessId, {}, limit, after, from)
      : await audit.pageAnyBusiness({}, limit, after, from);
    return rows.slice(0, limit).map((row) => viewOfRow(row, audit.dialect));
  }

  it('sends the bytes JSON.stringify wrote of the enveloped views, page after page', async () => {
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await listAuditEvents(t, asOwner(biz), { limit: 3, ...(cursor && { cursor }) })
        .buffer(true)
        .expect(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      const next = (JSON.parse(res.text) as { data: { next_cursor: string | null } }).data
        .next_cursor;
      const items = await viaViews(biz.id, 3, cursor);
      expect(res.text).toBe(JSON.stringify(envelope({ items, next_cursor: next })));
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
      cursor = next ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(2);
  });

  it("sends the platform's page across businesses the same way", async () => {
    const res = await t
      .http()
      .get('/platform/v1/audit-events')
      .query({ limit: 20 })
      .set(asPlatform(t))
      .buffer(true)
      .expect(200);
    const next = (JSON.parse(res.text) as { data: { next_cursor: string | null } }).data
      .next_cursor;
    const items = await viaViews(undefined, 20);
    expect(res.text).toContain('😀');
    expect(res.text).toBe(JSON.stringify(envelope({ items, next_cursor: next })));
  });
});

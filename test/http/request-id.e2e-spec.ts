import { BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * The server makes every request id itself. Before, the audit log's `request_id` was whatever
 * the client sent, so two people's events could share one. A client's own `x-request-id` is
 * kept beside it, as `client_request_id`, only when it is at most 128 safe characters.
 */
describe.each(DRIVERS)('request ids on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  /** Creates a token sending `header` as x-request-id; answers its audit event's ids. */
  const created = async (header?: string) => {
    const req = t.http().post('/api/v1/tokens').set(asOwner(biz));
    if (header !== undefined) req.set('x-request-id', header);
    const res = await req.send({ name: 'ids' });
    expect(res.status).toBe(201);
    const [row] = await t.sql<{ request_id: string; metadata: string }>(
      "SELECT request_id, metadata FROM audit_events WHERE action = 'token.created' AND target_id = ?",
      [res.body.data.id],
    );
    const metadata = JSON.parse(row.metadata) as { client_request_id?: string };
    return {
      header: res.headers['x-request-id'],
      stored: row.request_id,
      client: metadata.client_request_id,
    };
  };

  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  it('two callers sending the same id get two distinct ids, each kept as client_request_id', async () => {
    const a = await created('shared-id-1');
    const b = await created('shared-id-1');
    expect(a.stored).not.toBe(b.stored);
    for (const ids of [a, b]) {
      expect(ids.stored).toMatch(/^[0-9a-f-]{36}$/);
      expect(ids.header).toBe(ids.stored);
      expect(ids.client).toBe('shared-id-1');
    }
  });

  it.each([
    ['128 safe characters', 'a'.repeat(128), true],
    ['129 characters', 'a'.repeat(129), false],
    ['a space', 'two words', false],
    ['a tab', 'a\tb', false],
    ['a quote', 'a"b', false],
    ['a formula', '=1+2;x', false],
    ['a UUID', '0f8fad5b-d9cb-469f-a165-70867728950e', true],
  ])('keeps a client id with %s: %p', async (_label, header, kept) => {
    const ids = await created(header);
    expect(ids.client).toBe(kept ? header : undefined);
    expect(ids.stored).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('adds nothing when the client sends none', async () => {
    expect((await created()).client).toBeUndefined();
  });
});

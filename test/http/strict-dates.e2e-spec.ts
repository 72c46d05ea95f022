import { BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asOwner, asPlatform } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * Every date-time input is RFC 3339 with an offset, and a day that does not exist is 422. Before,
 * `expires_at: "2027-02-30"` was stored as 2027-03-02, and a date-time without an offset was read
 * in the server's local time; so were `created_before` and the audit log's `from` and `to`.
 */

interface DateField {
  name: string;
  loc: (string | number)[];
  send: (
    t: TestApp,
    biz: BusinessFixture,
    value: string,
  ) => Promise<{ status: number; body: { detail?: unknown } }>;
}

const FIELDS: DateField[] = [
  {
    name: 'POST /api/v1/tokens expires_at',
    loc: ['body', 'expires_at'],
    send: (t, biz, value) =>
      t.http().post('/api/v1/tokens').set(asOwner(biz)).send({ name: 'dated', expires_at: value }),
  },
  {
    name: 'POST /api/v1/tokens/{id}/rotate expires_at',
    loc: ['body', 'expires_at'],
    send: async (t, biz, value) => {
      const made = await t.http().post('/api/v1/tokens').set(asOwner(biz)).send({ name: 'r' });
      return t
        .http()
        .post(`/api/v1/tokens/${made.body.data.id}/rotate`)
        .set(asOwner(biz))
        .send({ expires_at: value });
    },
  },
  {
    name: 'POST /api/v1/tokens/bulk-revoke created_before',
    loc: ['body', 'created_before'],
    send: (t, biz, value) =>
      t
        .http()
        .post('/api/v1/tokens/bulk-revoke')
        .set(asOwner(biz))
        .send({ created_before: value, reason: 'dates', dry_run: true }),
  },
  ...(['from', 'to'] as const).flatMap((field) => [
    {
      name: `GET /api/v1/audit-events ${field}`,
      loc: ['query', field],
      send: (t: TestApp, biz: BusinessFixture, value: string) =>
        t
          .http()
          .get('/api/v1/audit-events')
          .query({ [field]: value })
          .set(asOwner(biz)),
    },
    {
      name: `GET /platform/v1/audit-events ${field}`,
      loc: ['query', field],
      send: (t: TestApp, _biz: BusinessFixture, value: string) =>
        t
          .http()
          .get('/platform/v1/audit-events')
          .query({ [field]: value })
          .set(asPlatform(t)),
    },
  ]),
];

const BAD = [
  '2027-02-30T00:00:00Z',
  '2027-13-01T00:00:00Z',
  '2027-01-01T24:00:00Z',
  '2027-01-01T23:61:00Z',
  '2027-01-01T00:00:00',
  '2027-02-28',
  '2027-01-01 00:00:00Z',
  '2027-01-01T00:00:00+25:00',
];

describe.each(DRIVERS)('strict dates on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  beforeAll(async () => {
    t = await bootTestApp(driver, { MAX_ACTIVE_TOKENS_PER_IDENTITY: '0' });
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  describe.each(FIELDS)('$name', (field) => {
    it.each(BAD)('refuses %j: 422 at its loc, saying RFC 3339 with an offset', async (value) => {
      const res = await field.send(t, biz, value);
      expect(res.status).toBe(422);
      expect(res.body.detail).toEqual([
        expect.objectContaining({
          loc: field.loc,
          msg: expect.stringMatching(/RFC 3339 .*offset/),
        }),
      ]);
    });

    it('takes a date-time with Z and one with an offset', async () => {
      for (const value of ['2030-02-28T12:00:00Z', '2030-02-28T14:00:00+02:00']) {
        const res = await field.send(t, biz, value);
        expect({ value, status: res.status < 300 }).toEqual({ value, status: true });
      }
    });
  });

  it('stores exactly the instant named, whatever the offset', async () => {
    const res = await t
      .http()
      .post('/api/v1/tokens')
      .set(asOwner(biz))
      .send({ name: 'offset', expires_at: '2030-02-28T14:00:00+02:00' })
      .expect(201);
    expect(res.body.data.expires_at).toBe('2030-02-28T12:00:00.000Z');
  });
});

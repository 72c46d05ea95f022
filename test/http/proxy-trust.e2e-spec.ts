import { randomBytes } from 'node:crypto';
import { mintSecret } from '../../src/tokens/token-secret';
import { BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asOwner, postToken } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { lastReading } from '../harness/patience';

/**
 * TRUST_PROXY the way Fastify means it: a hop count or the proxies' addresses, never "trust
 * every hop". The client's address is parsed and stored in its canonical form, so nothing a
 * client writes in X-Forwarded-For reaches a column, a log or a rate-limit key as text.
 */

const unknownToken = () => mintSecret('lk').secret;

describe.each(DRIVERS)('trusted proxies on %s', (driver) => {
  describe('TRUST_PROXY=1 (one proxy in front)', () => {
    let t: TestApp;
    let biz: BusinessFixture;
    beforeAll(async () => {
      t = await bootTestApp(driver, {
        TRUST_PROXY: '1',
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3',
        TOKEN_CACHE_TTL_MS: '0',
      });
      biz = await createUnexpiringBusiness(t);
    });
    afterAll(() => t?.close());

    /** Creates a token with `xff` as X-Forwarded-For; answers the ip its audit event records. */
    const auditedIp = async (xff: string): Promise<unknown> => {
      const res = await postToken(t, asOwner(biz), { name: 'via proxy' }).set(
        'x-forwarded-for',
        xff,
      );
      expect(res.status).toBe(201);
      const [row] = await t.sql<{ ip: unknown }>(
        "SELECT ip FROM audit_events WHERE action = 'token.created' AND target_id = ?",
        [res.body.data.id],
      );
      return row.ip;
    };

    it.each([
      ['203.0.113.7', '203.0.113.7'],
      // The client writes the left; the one proxy appends the right, which alone is believed.
      ['6.6.6.6, 203.0.113.8', '203.0.113.8'],
      ['::ffff:198.51.100.4', '198.51.100.4'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ])('records X-Forwarded-For %j as %j', async (xff, ip) => {
      expect(await auditedIp(xff)).toBe(ip);
    });

    it.each([
      'forged;=1+1',
      `${'9'.repeat(80)}`,
      '=HYPERLINK("http://x")',
      '1.2.3.4\tx',
      'a'.repeat(4000),
    ])('never stores %j: the peer address stands instead, and the write succeeds', async (xff) => {
      const ip = await auditedIp(xff);
      expect(ip).toBe('127.0.0.1');
    });

    it('a revoked token replayed with a long forged address still leaves its token.rejected', async () => {
      const made = await postToken(t, asOwner(biz), { name: 'to revoke' }).expect(201);
      await t
        .http()
        .post(`/api/v1/tokens/${made.body.data.id}/revoke`)
        .set(asOwner(biz))
        .send({ reason: 'leak' })
        .expect(201);
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('authorization', `Bearer ${made.body.data.token}`)
        .set('x-business-id', biz.id)
        .set('x-forwarded-for', `${'f'.repeat(80)};=1+1`);
      expect(res.status).toBe(401);
      // The rejection is recorded off the request path: wait for it.
      const rejected = () =>
        t.sql<{ ip: unknown }>(
          "SELECT ip FROM audit_events WHERE action = 'token.rejected' AND target_id = ?",
          [made.body.data.id],
        );
      const rows = await lastReading(rejected, (found) => found.length > 0, 100);
      expect(rows).toEqual([{ ip: '127.0.0.1' }]);
    });

    it('the failed-auth budget bites although the client varies what it writes on the left', async () => {
      const client = `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await t
          .http()
          .get('/platform/v1/businesses')
          .set('authorization', `Bearer ${unknownToken()}`)
          .set('x-forwarded-for', `10.9.${i}.1, ${client}`);
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    });
  });

  describe('TRUST_PROXY=false (the default)', () => {
    let t: TestApp;
    let biz: BusinessFixture;
    beforeAll(async () => {
      t = await bootTestApp(driver, { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' });
      biz = await createUnexpiringBusiness(t);
    });
    afterAll(() => t?.close());

    it('ignores X-Forwarded-For: the peer is the client', async () => {
      const res = await postToken(t, asOwner(biz), { name: 'direct' })
        .set('x-forwarded-for', '203.0.113.99')
        .expect(201);
      const [row] = await t.sql<{ ip: unknown }>(
        "SELECT ip FROM audit_events WHERE action = 'token.created' AND target_id = ?",
        [res.body.data.id],
      );
      expect(row.ip).toBe('127.0.0.1');
    });

    it('so a client cannot escape its failed-auth budget by writing new addresses', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await t
          .http()
          .get('/platform/v1/businesses')
          .set('authorization', `Bearer ${unknownToken()}`)
          .set('x-forwarded-for', `10.8.${i}.1`);
        statuses.push(res.status);
      }
      expect(statuses.slice(3)).toEqual([429, 429]);
    });
  });
});

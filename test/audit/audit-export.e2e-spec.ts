import { createBusiness, createToken } from '../factories/tenancy.factory';
import { asOwner, asPlatform } from '../harness/app/api';
import { auditReads, checkOffline, parseNdjson } from './audit-chain';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

describe.each(DRIVERS)('audit export on %s', (driver) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_OAUTH_PER_MINUTE: '0' });
  });

  afterAll(async () => {
    await t?.close();
  });

  const { exportChain } = auditReads(() => t);

  describe('export', () => {
    it('streams NDJSON that checks offline, and honours the filters', async () => {
      const biz = await createBusiness(t);
      for (let i = 0; i < 3; i++) await createToken(t, asOwner(biz));
      const res = await exportChain(biz);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('application/x-ndjson');
      expect(res.headers['content-disposition']).toContain('attachment');
      const lines = parseNdjson(res.body as string);
      expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(checkOffline(lines)).toBeNull();
      const filtered = parseNdjson(
        (await exportChain(biz, '?action=token.created')).body as string,
      );
      expect(filtered.map((l) => l.action)).toEqual(Array(4).fill('token.created'));
    });

    it('writes CSV with quoting and formula injection defused', async () => {
      const biz = await createBusiness(t);
      await createToken(t, asOwner(biz), { name: '=HYPERLINK("http://evil.test","x")' });
      await createToken(t, asOwner(biz), { name: '@SUM(1,2)' });
      const res = await exportChain(biz, '?format=csv');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('text/csv');
      const text = res.body as string;
      const [header] = text.split('\r\n');
      expect(header.split(',')).toEqual(
        expect.arrayContaining(['seq', 'action', 'target_label', 'prev_hash', 'hash']),
      );
      expect(text).toContain(`"'=HYPERLINK(""http://evil.test"",""x"")"`);
      expect(text).toContain(`"'@SUM(1,2)"`);
      expect(text).not.toMatch(/(^|,)[=@]/m);
    });

    it('streams the platform chain for platform admins', async () => {
      const res = await t
        .http()
        .get('/platform/v1/audit-events/export')
        .set(asPlatform(t))
        .buffer(true)
        .parse((r, done) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (chunk: string) => (text += chunk));
          r.on('end', () => done(null, text));
        })
        .expect(200);
      const lines = parseNdjson(res.body as string);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((l) => l.business_id === null)).toBe(true);
      expect(checkOffline(lines)).toBeNull();
    });

    it('answers 422 for an unknown format', async () => {
      const biz = await createBusiness(t);
      const res = await exportChain(biz, '?format=xml');
      expect(res.status).toBe(422);
    });
  });
});

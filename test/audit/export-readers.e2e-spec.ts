import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response } from 'supertest';
import { AUDIT_COLUMNS } from '../../src/audit/query/audit-export';
import { verifyExportLines } from '../../src/cli/offline/export-verify';
import { mintSecret } from '../../src/tokens/token-secret';
import { BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asMember, asOwner } from '../harness/app/api';
import { cliInProcess } from '../harness/app/cli';
import { auditAppendOnly } from '../harness/app/db';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { lastReading } from '../harness/patience';

/**
 * Exports every reader reads alike. Before: CSV cells holding `;` or a tab were not quoted, so a
 * spreadsheet splitting on `;` started a cell with `=1+2` (planted through the User-Agent that
 * token.rejected records); NDJSON carried raw U+2028, U+2029 and U+0085, so a reader splitting
 * lines on them saw more lines than events; and the offline verify took an event whose
 * duplicate `action` key stood before the real one.
 */

/** Every byte some reader splits a line on. */
const LINE_SPLITTERS = /\r\n|\n|\r|\u2028|\u2029|\u0085/;

/** RFC 4180, strictly: records of cells, quotes honoured, `""` an escaped quote. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let cell = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      record.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || record.length > 0) records.push([...record, cell]);
  return records;
}

describe.each(DRIVERS)('exports on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  const exportOf = (format: 'csv' | 'ndjson'): Promise<Response> =>
    t
      .http()
      .get(`/api/v1/audit-events/export?format=${format}`)
      .set(asOwner(biz))
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done(null, text));
      });

  const eventCount = async () =>
    Number(
      (
        await t.sql<{ n: unknown }>(
          'SELECT COUNT(*) AS n FROM audit_events WHERE business_id = ?',
          [biz.id],
        )
      )[0].n,
    );

  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  it('CSV: a revoked token planting a formula in its User-Agent never starts a cell, split on , ; or tab', async () => {
    const made = await t
      .http()
      .post('/api/v1/tokens')
      .set(asOwner(biz))
      .send({ name: 'ua;=1+2' })
      .expect(201);
    await t
      .http()
      .post(`/api/v1/tokens/${made.body.data.id}/revoke`)
      .set(asOwner(biz))
      .send({ reason: 'then; @SUM(A1)' })
      .expect(201);
    const before = await eventCount();
    await t
      .http()
      .get('/api/v1/me')
      .set(asMember(made.body.data.token, biz.id))
      .set('user-agent', 'x;=1+2, @SUM(A1)\t-3;+cmd|calc')
      .expect(401);
    await lastReading(eventCount, (n) => n > before, 100);
    expect(await eventCount()).toBe(before + 1);

    const text = (await exportOf('csv')).body as string;
    const records = parseCsv(text);
    expect(records[0]).toEqual([...AUDIT_COLUMNS]);
    for (const record of records) expect(record).toHaveLength(AUDIT_COLUMNS.length);
    const rejected = records.find((r) => r[AUDIT_COLUMNS.indexOf('action')] === 'token.rejected');
    expect(rejected?.[AUDIT_COLUMNS.indexOf('user_agent')]).toContain('@SUM(A1)');

    // A reader that splits each line on any of these, ignoring quotes mid-line, sees no formula.
    for (const line of text.split('\r\n').slice(1)) {
      for (const piece of line.split(/[,;\t]/)) {
        expect({ piece, formula: /^[ "]*[=+\-@]/.test(piece) }).toEqual({ piece, formula: false });
      }
    }
  });

  it('NDJSON: one line per event for every reader, and the chain still verifies, online and offline', async () => {
    const name = 'a\u2028b\u2029c\u0085d';
    await t.http().post('/api/v1/tokens').set(asOwner(biz)).send({ name }).expect(201);
    const text = (await exportOf('ndjson')).body as string;
    const lines = text.split(LINE_SPLITTERS).filter((l) => l !== '');
    expect(lines).toHaveLength(await eventCount());
    const events = lines.map((l) => JSON.parse(l) as { target: { label: string } });
    expect(events.map((e) => e.target.label)).toContain(name);
    expect(await verifyExportLines(lines)).toEqual({
      valid: true,
      checked: lines.length,
      first_invalid_seq: null,
      checkpoint_checked: false,
      signed_through_seq: 0,
    });
    const online = await t.http().get('/api/v1/audit-events/verify').set(asOwner(biz)).expect(200);
    expect(online.body.data).toMatchObject({ valid: true });
  });

  it('offline verify refuses an event with a duplicate key before the real one, and names its seq', async () => {
    const lines = ((await exportOf('ndjson')).body as string).split('\n').filter((l) => l !== '');
    const at = 2;
    const forged = lines.map((line, i) =>
      i === at - 1 ? line.replace(/^\{/, '{"action":"forged","actor":{"label":"nobody"},') : line,
    );
    const verdict = await verifyExportLines(forged);
    expect(verdict).toMatchObject({ valid: false, first_invalid_seq: at });
    expect(verdict.reason).toMatch(/seq 2 .*"(action|actor)" twice/);
  });

  it('online verify refuses a stored event whose metadata holds a key twice, though its hash holds', async () => {
    const [row] = await t.sql<{ id: string; seq: unknown; metadata: string }>(
      "SELECT id, seq, metadata FROM audit_events WHERE business_id = ? AND metadata <> '{}' " +
        'ORDER BY seq LIMIT 1',
      [biz.id],
    );
    const [firstKey] = Object.keys(JSON.parse(row.metadata) as object);
    // JSON.parse keeps the last of two keys: the forged first one hashes away unseen.
    const tampered = row.metadata.replace(/^\{/, `{${JSON.stringify(firstKey)}:"forged",`);
    await auditAppendOnly(t, false);
    try {
      await t.sql('UPDATE audit_events SET metadata = ? WHERE id = ?', [tampered, row.id]);
      const res = await t.http().get('/api/v1/audit-events/verify').set(asOwner(biz)).expect(200);
      expect(res.body.data).toMatchObject({ valid: false, first_invalid_seq: Number(row.seq) });
    } finally {
      await t.sql('UPDATE audit_events SET metadata = ? WHERE id = ?', [row.metadata, row.id]);
      await auditAppendOnly(t, true);
    }
    const again = await t.http().get('/api/v1/audit-events/verify').set(asOwner(biz)).expect(200);
    expect(again.body.data).toMatchObject({ valid: true });
  });

  describe('the CLI', () => {
    const dir = mkdtempSync(join(tmpdir(), 'export-readers-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('audit verify says a CSV export is not NDJSON, with exit 2', async () => {
      const file = join(dir, 'export.csv');
      writeFileSync(file, (await exportOf('csv')).body as string);
      const result = await cliInProcess(['audit', 'verify', '--file', file], {});
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /line 1 is not a JSON object: this is not an NDJSON audit export/,
      );
    });

    it('never prints a secret back, in any error', async () => {
      const secret = mintSecret('lk').secret;
      const junkFile = join(dir, 'token.txt');
      writeFileSync(junkFile, `${secret}junk\n`);
      const runs = await Promise.all([
        cliInProcess(['tokens', 'revoke', `--token=${secret}`], t.db.env),
        cliInProcess(['tokens', 'revoke', '--token-file', join(dir, secret)], t.db.env),
        cliInProcess(['tokens', 'revoke', '--token-file', junkFile], t.db.env),
        cliInProcess(['tokens', 'revoke', secret], t.db.env),
        cliInProcess(['audit', 'verify', '--file', join(dir, secret)], {}),
        cliInProcess(['audit', 'verify', '--file', junkFile], {}),
        cliInProcess(['tokens', 'show', secret], t.db.env),
        cliInProcess(['--bogus', secret], t.db.env),
      ]);
      for (const run of runs) {
        expect(run.code).not.toBe(0);
        expect(run.stdout + run.stderr).not.toContain(secret.slice(3));
      }
    });
  });
});

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chainHash, rowHash } from '../../src/audit/chain/audit-chain';
import { canonicalRow, csvRow, ndjsonRow, rowOfEvent } from '../../src/audit/codec/audit-codec';
import type { AuditEventView } from '../../src/audit/audit-entry';
import { CSV_HEADER, csvLine, ndjsonLine } from '../../src/audit/query/audit-export';
import { AUDIT_FIELD_LIST, COLUMN } from '../../src/audit/codec/audit-fields';
import { AuditService } from '../../src/audit/query/audit.service';
import { canonicalJson } from '../../src/audit/codec/canonical-json';
import { AuditExportQueryDto, AuditQueryDto } from '../../src/audit/dto/audit.dto';
import type { RequestContext } from '../../src/auth/request-context';
import type { Page } from '../../src/common/validation/pagination';
import { verifyExportLines } from '../../src/cli/offline/export-verify';
import { checkOffline, EventLine } from './audit-chain';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * The golden files in test/fixtures/audit/ are exports the app wrote before the audit codec
 * (make-golden.ts, on 969d390): a business's chain and the platform chain, with hostile text,
 * legacy rows and hand-written metadata. Whatever writes audit events now must hash, export and
 * verify those events to the same bytes.
 */
const FIXTURES = join(__dirname, '..', 'fixtures', 'audit');
const CHAINS = ['business', 'platform'] as const;

function golden(chain: (typeof CHAINS)[number]) {
  const ndjson = readFileSync(join(FIXTURES, `${chain}.ndjson`), 'utf8');
  const csv = readFileSync(join(FIXTURES, `${chain}.csv`), 'utf8');
  // Every NDJSON line ends in \n, and only there: U+2028 and kin are escaped inside lines.
  const lines = ndjson.split('\n').slice(0, -1);
  const events = lines.map((line) => JSON.parse(line) as AuditEventView);
  return { ndjson, csv, lines, events };
}

describe('audit golden files', () => {
  describe.each(CHAINS)('the %s chain', (chain) => {
    const { ndjson, csv, lines, events } = golden(chain);

    it('holds a varied chain', () => {
      expect(events.length).toBeGreaterThan(10);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    });

    it('verifies offline with the CLI verifier and with the spec helper, every line', async () => {
      await expect(verifyExportLines(lines)).resolves.toEqual({
        valid: true,
        checked: lines.length,
        first_invalid_seq: null,
        checkpoint_checked: false,
        signed_through_seq: 0,
      });
      expect(checkOffline(events as unknown as EventLine[])).toBeNull();
    });

    it('hashes every event to its stored hash', () => {
      for (const { prev_hash: prevHash, hash, ...event } of events) {
        expect({ seq: event.seq, hash: chainHash(prevHash, event) }).toEqual({
          seq: event.seq,
          hash,
        });
      }
    });

    it('writes every NDJSON line and CSV record byte for byte', () => {
      expect(events.map(ndjsonLine).join('')).toBe(ndjson);
      expect(CSV_HEADER + events.map(csvLine).join('')).toBe(csv);
    });

    it('reads every line through the codec, which hashes it as RFC 8785 and the chain did', () => {
      for (const [i, line] of lines.entries()) {
        const { prev_hash: prevHash, hash, ...hashed } = events[i];
        const row = rowOfEvent(JSON.parse(line));
        expect(row).not.toBeNull();
        expect(canonicalRow(row!, 'event')).toBe(canonicalJson(hashed));
        expect({ seq: hashed.seq, hash: rowHash(prevHash, row!, 'event') }).toEqual({
          seq: hashed.seq,
          hash,
        });
      }
    });

    it('writes each line read back, and its CSV record, as the golden files hold them', () => {
      expect(csv.startsWith(CSV_HEADER)).toBe(true);
      let at = CSV_HEADER.length;
      for (const line of lines) {
        const row = rowOfEvent(JSON.parse(line))!;
        expect(ndjsonRow(row, 'event')).toBe(`${line}\n`);
        // The CSV is for people (defused cells, null and '' alike): it is written, never read.
        const record = csvRow(row, 'event');
        expect({ seq: row[COLUMN.seq], record: csv.slice(at, at + record.length) }).toEqual({
          seq: row[COLUMN.seq],
          record,
        });
        at += record.length;
      }
      expect(at).toBe(csv.length);
    });
  });
});

/** The golden events stored as rows again, read back through export, verify and pages. */
describe.each(DRIVERS)('audit golden files stored on %s', (driver) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootTestApp(driver);
  });

  afterAll(async () => {
    await t?.close();
  });

  /** What the database held: one row per event, metadata as text whose parse is the event's. */
  async function store(chainId: string, events: AuditEventView[]) {
    for (const e of events) {
      const canonical = canonicalJson(e.metadata);
      const sameParse = JSON.stringify(JSON.parse(canonical)) === JSON.stringify(e.metadata);
      await t.sql(
        `INSERT INTO audit_events (id, chain_id, seq, business_id, occurred_at, action, outcome,
           actor_id, actor_type, actor_label, actor_token_id, actor_issued_by_id,
           actor_issued_by_label, origin, target_type, target_id, target_label, request_id, ip,
           user_agent, metadata, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          e.id,
          chainId,
          e.seq,
          e.business_id,
          driver === 'sqlite' ? e.occurred_at.replace('T', ' ').replace('Z', '') : e.occurred_at,
          e.action,
          e.outcome,
          e.actor.id,
          e.actor.type,
          e.actor.label,
          e.actor.token_id ?? null,
          e.actor.issued_by?.id ?? null,
          e.actor.issued_by?.label ?? null,
          e.origin ?? null,
          e.target.type,
          e.target.id,
          e.target.label,
          e.request_id,
          e.ip,
          e.user_agent,
          // Canonical text, as the log writes it, where it parses back to the same order.
          sameParse ? canonical : JSON.stringify(e.metadata),
          e.prev_hash,
          e.hash,
        ],
      );
    }
    const last = events[events.length - 1];
    await t.sql('INSERT INTO audit_chain_heads (chain_id, seq, hash) VALUES (?, ?, ?)', [
      chainId,
      last.seq,
      last.hash,
    ]);
  }

  it('stores every field of the codec in a column of its own, as the migrations made them', async () => {
    const columns =
      driver === 'sqlite'
        ? (await t.sql<{ name: string; notnull: number }>('PRAGMA table_info(audit_events)')).map(
            (c) => ({ name: c.name, nullable: c.notnull === 0 }),
          )
        : (
            await t.sql<{ column_name: string; is_nullable: string }>(
              'SELECT column_name, is_nullable FROM information_schema.columns ' +
                "WHERE table_name = 'audit_events' AND table_schema = current_schema()",
            )
          ).map((c) => ({ name: c.column_name, nullable: c.is_nullable === 'YES' }));
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
    expect(columns.sort(byName)).toEqual(
      [
        { name: 'chain_id', nullable: false },
        ...AUDIT_FIELD_LIST.map((f) => ({ name: f.column, nullable: f.nullable ?? false })),
      ].sort(byName),
    );
  });

  async function exported(ctx: RequestContext, format: 'ndjson' | 'csv') {
    const query = Object.assign(new AuditExportQueryDto(), { format });
    let text = '';
    for await (const chunk of t.app.get(AuditService).export(ctx, query)) text += chunk;
    return text;
  }

  it.each(CHAINS)(
    'exports, verifies and pages the %s chain as it was written',
    async (chain) => {
      const { ndjson, csv, events } = golden(chain);
      // The platform's own chain is in use here: its golden events go into a chain of their own.
      const chainId = chain === 'business' ? (events[0].business_id as string) : randomUUID();
      await store(chainId, events);
      // A reader of its own: it has written nothing, so replicas (none here) may serve it.
      const ctx = { businessId: chainId, actor: { id: randomUUID() } } as RequestContext;
      const service = t.app.get(AuditService);

      expect(await exported(ctx, 'ndjson')).toBe(ndjson);
      expect(await exported(ctx, 'csv')).toBe(csv);
      await expect(service.verify(ctx)).resolves.toEqual({
        valid: true,
        checked: events.length,
        first_invalid_seq: null,
        checkpoints_checked: 0,
        last_valid_checkpoint: null,
        checkpoint_checked: false,
        signed_through_seq: 0,
      });
      if (chain === 'business') {
        const json = await service.list(ctx, Object.assign(new AuditQueryDto(), { limit: 200 }));
        const page = (JSON.parse(json.toString('utf8')) as { data: Page<AuditEventView> }).data;
        expect(page.items.map(ndjsonLine).reverse().join('')).toBe(ndjson);
      }
    },
    60_000,
  );
});

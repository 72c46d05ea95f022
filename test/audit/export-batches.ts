import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '../../src/audit/audit-entry';
import { CSV_HEADER, csvRow, ndjsonRow } from '../../src/audit/codec/audit-codec';
import { AuditRow, seqOf } from '../../src/audit/codec/audit-row';
import type { ExportReads } from '../../src/audit/store/chain-cursor';
import { AuditRepository } from '../../src/audit/store/audit.repository';
import { AuditAppender } from '../../src/audit/recording/audit-appender';
import { Database } from '../../src/database/connection/read-routing';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import type { TestApp } from '../harness/app/test-app';

/**
 * What the export suites share: events with text that every codec escapes, the bytes a keyset
 * batch read gives, and a hold between two batches of an export, where its reader has not yet
 * come back for more (as a client that stopped reading leaves it, whatever the socket buffers).
 */

/** Text that CSV must defuse and quote and NDJSON must escape. */
const TEXTS = ['=1+2', '+cmd|calc', '-@SUM(A1)', '@x;\t"q",\r\nz', 'zoë 😀 \u2028 \\'];

/** Appends `count` events to the business's chain below HTTP, as a job or the CLI could. */
export async function appendEvents(t: TestApp, businessId: string, count: number) {
  const uow = t.app.get(UnitOfWork);
  const audit = t.app.get(AuditAppender);
  for (let i = 0; i < count; i++) {
    const text = TEXTS[i % TEXTS.length];
    const entry: AuditEntry = {
      businessId,
      action: 'token.created',
      outcome: i % 3 ? 'success' : 'failure',
      actor: { id: randomUUID(), type: 'user', label: text, tokenId: null, issuedBy: null },
      target: { type: 'token', id: randomUUID(), label: `${text} ${i}` },
      origin: { channel: 'system', requestId: null, ip: null, userAgent: text },
      metadata: { [text]: text, n: i },
    };
    await uow.run((tx) => audit.append(entry, tx));
  }
}

/** The export of a business's chain as keyset batches of `limit` rows read it, unfiltered. */
export async function keysetExport(
  t: TestApp,
  businessId: string,
  format: 'ndjson' | 'csv',
  limit = 1_000,
): Promise<string> {
  const repo = t.app.get(AuditRepository);
  const from = t.app.get(Database).primary;
  const line = format === 'csv' ? csvRow : ndjsonRow;
  let text = format === 'csv' ? CSV_HEADER : '';
  let afterSeq = 0;
  for (;;) {
    const rows = await repo.rowsInBusiness(businessId, { afterSeq, limit }, {}, from);
    if (rows.length === 0) return text;
    for (const row of rows) text += line(row, repo.dialect);
    afterSeq = seqOf(rows[rows.length - 1]);
  }
}

/** Lowers how exports read (batch size, idle and age limits) until the mocks are restored. */
export function exportReads(t: TestApp, reads: Partial<ExportReads>): void {
  const repo = t.app.get(AuditRepository);
  for (const [key, value] of Object.entries(reads) as [keyof ExportReads, number][]) {
    jest.replaceProperty(repo.exportReads, key, value);
  }
}

/**
 * Wraps every export's batches: before batch `n` (from 0) goes on, `hold(n)` is awaited. Answers
 * how many batches each export has handed on so far.
 */
export function holdExportBatches(t: TestApp, hold: (n: number) => Promise<void> | void) {
  const repo = t.app.get(AuditRepository);
  const handedOn: number[] = [];
  async function* held(batches: AsyncGenerator<AuditRow[]>) {
    const exportIndex = handedOn.push(0) - 1;
    let n = 0;
    for await (const rows of batches) {
      await hold(n++);
      handedOn[exportIndex]++;
      yield rows;
    }
  }
  const inBusiness = repo.exportBatchesInBusiness.bind(repo);
  const platform = repo.platformExportBatches.bind(repo);
  jest
    .spyOn(repo, 'exportBatchesInBusiness')
    .mockImplementation((businessId, filters, from) => held(inBusiness(businessId, filters, from)));
  jest
    .spyOn(repo, 'platformExportBatches')
    .mockImplementation((filters, from) => held(platform(filters, from)));
  return handedOn;
}

import type { AuditEventView } from '../codec/audit-fields';
import { CSV_HEADER, csvRow, ndjsonRow, rowOfView } from '../codec/audit-codec';
import { AuditRow, RowDialect, seqOf } from '../codec/audit-row';
import type { ExportFormat } from '../dto/audit.dto';

export { AUDIT_COLUMNS } from '../codec/audit-fields';
export { CSV_HEADER } from '../codec/audit-codec';
export { csvCell, oneLine } from '../codec/wire-text';

/** One NDJSON line per event: the full event, hashes included, so it can be checked offline. */
export function ndjsonLine(event: AuditEventView): string {
  return ndjsonRow(rowOfView(event), 'event');
}

/** One RFC 4180 CSV record, with `metadata` as JSON text. */
export function csvLine(event: AuditEventView): string {
  return csvRow(rowOfView(event), 'event');
}

/**
 * Rows per written chunk (about 65 kB of NDJSON). A chunk stays below V8's large-object size, so
 * it dies young in the nursery instead of growing the old heap, and the export's memory stays flat.
 */
const EXPORT_CHUNK = 100;

/** What a written row's place in its batch holds instead. */
const WRITTEN: AuditRow = [];

/**
 * Writes batches of raw rows out a chunk at a time, and asks for the next batch only when the
 * consumer has taken them all: the export holds one batch, however long the chain. Each line is
 * what `ndjsonLine` or `csvLine` writes for the row's view. `reached` hears each batch's last seq.
 *
 * Each row is let go of in its batch once written. A batch array lives on after its rows are
 * written (the suspended generators hold it until the next batch comes), and rows it still held
 * survived two scavenges and were promoted: 194 MB of a 200k-event export, against 2.5 MB once
 * let go of, and the RSS grew by the old space's whole allowance (docs/performance.md).
 */
export async function* exportLines(
  batches: AsyncIterable<AuditRow[]>,
  format: ExportFormat,
  dialect: RowDialect,
  reached: (seq: number) => void,
): AsyncGenerator<string> {
  const line = format === 'csv' ? csvRow : ndjsonRow;
  if (format === 'csv') yield CSV_HEADER;
  for await (const rows of batches) {
    reached(seqOf(rows[rows.length - 1]));
    for (let start = 0; start < rows.length; start += EXPORT_CHUNK) {
      const end = Math.min(start + EXPORT_CHUNK, rows.length);
      let chunk = '';
      for (let i = start; i < end; i++) {
        chunk += line(rows[i], dialect);
        rows[i] = WRITTEN;
      }
      yield chunk;
    }
  }
}

import type { AuditEventView } from '../codec/audit-fields';
import { csvRow, ndjsonRow, rowOfView } from '../codec/audit-codec';

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

import type { AuditEventView } from './audit-fields';
import { csvRow, ndjsonRow, rowOfView } from './audit-codec';

export { AUDIT_COLUMNS } from './audit-fields';
export { CSV_HEADER } from './audit-codec';
export { csvCell, oneLine } from './wire-text';

/** One NDJSON line per event: the full event, hashes included, so it can be checked offline. */
export function ndjsonLine(event: AuditEventView): string {
  return ndjsonRow(rowOfView(event), 'event');
}

/** One RFC 4180 CSV record, with `metadata` as JSON text. */
export function csvLine(event: AuditEventView): string {
  return csvRow(rowOfView(event), 'event');
}

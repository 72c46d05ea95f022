import type { AuditEventView } from './audit-entry';

/**
 * The fields of an audit event in export order: the CSV's columns, and the order in which walks
 * read raw rows (`AUDIT_ROW_COLUMNS`), so a raw row maps onto a CSV record cell for cell.
 */
export const AUDIT_COLUMNS = [
  'id',
  'seq',
  'business_id',
  'occurred_at',
  'action',
  'outcome',
  'actor_id',
  'actor_type',
  'actor_label',
  'actor_token_id',
  'actor_issued_by_id',
  'actor_issued_by_label',
  'origin',
  'target_type',
  'target_id',
  'target_label',
  'request_id',
  'ip',
  'user_agent',
  'metadata',
  'prev_hash',
  'hash',
] as const;

/** One NDJSON line per event: the full event, hashes included, so it can be checked offline. */
export function ndjsonLine(event: AuditEventView): string {
  return `${JSON.stringify(event)}\n`;
}

export const CSV_HEADER = `${AUDIT_COLUMNS.join(',')}\r\n`;

/** One RFC 4180 CSV record, with `metadata` as JSON text. */
export function csvLine(event: AuditEventView): string {
  const cells: Record<(typeof AUDIT_COLUMNS)[number], string | number | null> = {
    ...event,
    actor_id: event.actor.id,
    actor_type: event.actor.type,
    actor_label: event.actor.label,
    actor_token_id: event.actor.token_id ?? null,
    actor_issued_by_id: event.actor.issued_by?.id ?? null,
    actor_issued_by_label: event.actor.issued_by?.label ?? null,
    origin: event.origin ?? null,
    target_type: event.target.type,
    target_id: event.target.id,
    target_label: event.target.label,
    metadata: JSON.stringify(event.metadata),
  };
  return `${AUDIT_COLUMNS.map((column) => csvCell(cells[column])).join(',')}\r\n`;
}

/**
 * Quotes a cell when it must (RFC 4180), and defuses cells a spreadsheet would run as a
 * formula (OWASP "CSV injection"): a leading `=`, `+`, `-`, `@`, tab or carriage return gets a
 * `'` in front, so labels and user agents an attacker chose stay text.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

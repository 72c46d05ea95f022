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
  return oneLine(`${JSON.stringify(event)}\n`);
}

/** Characters some readers take for a line break, though JSON.stringify writes them raw. */
const LINE_BREAKING = /[\u0085\u2028\u2029]/;
const LINE_BREAKING_ALL = new RegExp(LINE_BREAKING.source, 'g');

/**
 * An NDJSON line that every reader reads as one: U+0085, U+2028 and U+2029 (line breaks to
 * JavaScript's old parsers and to Unicode-aware splitters) written as `\u` escapes. They can
 * only stand inside JSON strings, so the escaped line parses to the same event, and the chain's
 * hashes, which are over the canonical form, do not change.
 */
export function oneLine(line: string): string {
  return LINE_BREAKING.test(line)
    ? line.replace(LINE_BREAKING_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : line;
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
 * Defuses cells a spreadsheet would run as a formula (OWASP "CSV injection"): one whose first
 * character (after any spaces) is `=`, `+`, `-` or `@`, or that starts with a tab or carriage
 * return, gets a `'` in front, so labels and user agents an attacker chose stay text. Then
 * quotes, per RFC 4180, every cell holding a character some reader splits on: `,`, `;` (a
 * spreadsheet's separator in many locales), a tab, CR, LF or `"`, and defuses a formula after
 * any of those inside it too. The CSV is the export for people; the NDJSON export is the
 * faithful one, which verifies.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  if (!CSV_SPECIAL.test(text)) return text;
  // A reader that splits on `;` or a tab and honours quotes only at the start of its own cells
  // (a spreadsheet in many locales) would start a cell after the separator: defused there too.
  text = text.replace(FORMULA_AFTER_SEPARATOR, "$1'$2");
  return `"${text.replace(/"/g, '""')}"`;
}

const FORMULA_START = /^(?:[\t\r]| *[=+\-@])/;
const FORMULA_AFTER_SEPARATOR = /([,;\t\r\n] *)([=+\-@])/g;
const CSV_SPECIAL = /[",;\t\r\n]/;

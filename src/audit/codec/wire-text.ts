/**
 * How the audit log writes text on the wire: JSON strings (for the hashed bytes and the NDJSON
 * line), NDJSON lines every reader reads as one, and CSV cells no spreadsheet runs.
 */

/** What `JSON.stringify` escapes in a string (a lone surrogate included, so any surrogate here). */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** True when `JSON.stringify(text)` is the text between two quotes. */
export const writesAsIs = (text: string): boolean => !NEEDS_ESCAPE.test(text);

/** `JSON.stringify(value)` for a string or null, about twice as fast when nothing needs escaping. */
export function jsonString(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'string' && writesAsIs(value) ? `"${value}"` : JSON.stringify(value);
}

/** The last text written per column, and its JSON form: along a chain most columns repeat. */
const lastText: unknown[] = [];
const lastJson: string[] = [];

/** `jsonString(row[column])`, remembering the column's last text. */
export function columnJsonString(row: readonly unknown[], column: number): string {
  const value = row[column];
  if (typeof value !== 'string') return jsonString(value);
  if (value === lastText[column]) return lastJson[column];
  const json = jsonString(value);
  lastText[column] = value;
  lastJson[column] = json;
  return json;
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

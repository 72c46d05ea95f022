import { RequestValidationError } from '../../common/errors/domain-error';

/** The header a trusted gateway names its call's tags in: `endpoint=/v1/things, region=eu`. */
export const TAG_HEADER = 'x-latchkey-tag';
/** Tags one call may carry. */
export const TAGS_PER_CALL = 4;
/** Bytes one `key=value` may take (printable ASCII, so one byte a character). */
export const TAG_MAX_BYTES = 128;
/** What a tag beyond a business's daily cap is counted under. */
export const OVERFLOW_TAG = '(other)';

/**
 * `key=value`: a key of letters, digits, `_`, `.` or `-` that starts with a letter, digit or `_`
 * (so no tag starts a spreadsheet formula), and a value of printable ASCII but the comma that
 * separates tags. No control character, so no tag can end a log line, an NDJSON line or a CSV
 * record; a CSV cell holding `"` or `;` is quoted by the export.
 */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]*=[\x20-\x2b\x2d-\x7e]*$/;

/**
 * Headers already read: a gateway sends the same few on every call. Bounded, and emptied whole
 * when full, so odd values cost memory for a moment at most.
 */
const parsed = new Map<string, string>();
const PARSED_MAX = 1024;

/**
 * The tags of `X-Latchkey-Tag` as one normalized string: each `key=value` trimmed of spaces, duplicates
 * dropped, sorted, joined by `,`. A header sent twice arrives joined by a comma and adds its
 * tags. An empty value, more than `TAGS_PER_CALL` tags, or a malformed one is the 422 that names
 * the header (the value is not echoed: it is the gateway's, and may be long).
 */
export function normalizedTags(header: string | string[]): string {
  const value = Array.isArray(header) ? header.join(',') : header;
  const known = parsed.get(value);
  if (known !== undefined) return known;
  // Spaces alone are trimmed: `trim()` would also drop U+2028 and the like, which must refuse.
  const tags = [...new Set(value.split(',').map((t) => t.replace(/^ +| +$/g, '')))].sort();
  const problem = tags.includes('')
    ? 'Input should be tags as key=value, separated by commas, none empty'
    : tags.length > TAGS_PER_CALL
      ? `Input should hold at most ${TAGS_PER_CALL} tags`
      : tags.some((t) => t.length > TAG_MAX_BYTES || !TAG.test(t))
        ? `Input should be key=value tags of at most ${TAG_MAX_BYTES} printable ASCII characters each, the key of letters, digits, _ . or -`
        : null;
  if (problem !== null) {
    throw new RequestValidationError([
      { loc: ['header', TAG_HEADER], msg: problem, type: 'value_error' },
    ]);
  }
  const normalized = tags.join(',');
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(value, normalized);
  return normalized;
}

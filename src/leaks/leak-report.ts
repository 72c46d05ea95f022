import { RequestValidationError, ValidationIssue } from '../common/errors/domain-error';
import { redactSecrets } from '../common/errors/safe-error';
import { storable } from '../common/validation/text';
import type { LeakSighting } from '../tokens/token-sightings.events';

/** One entry of GitHub's secret scanning partner report. */
export interface ReportedLeak {
  token: string;
  /** The type as reported, which the answer names back (GitHub matches on it). */
  reportedType: string;
  sighting: LeakSighting;
}

/** GitHub sends reports in batches; a body of more entries than this is refused whole (422). */
export const LEAK_REPORT_MAX_ENTRIES = 1000;
/** A reported string longer than any token of any prefix is not one of ours. */
const TOKEN_MAX_CHARS = 256;
const URL_MAX_CHARS = 2048;
const LABEL_MAX_CHARS = 128;
/** Control characters and the Unicode line and paragraph separators: nothing stored splits a line. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * A caller's text as an audit event may carry it: one line, lone surrogates replaced, anything
 * shaped like a secret masked whole (before clipping, so a secret is never cut to a stub), then
 * clipped. Null when absent or empty.
 */
function sightingText(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return null;
  const text = redactSecrets(storable(value).replace(LINE_BREAKING, ' ')).trim().slice(0, max);
  return text.length > 0 ? text : null;
}

/**
 * The report's entries, read only after its signature holds: GitHub's payload is a JSON array of
 * `{token, type, url, source}`. Anything else is a 422 naming the entry, so a signed but broken
 * report changes nothing.
 */
export function parseLeakReport(body: unknown): ReportedLeak[] {
  const fail = (loc: (string | number)[], msg: string): never => {
    const issue: ValidationIssue = { loc: ['body', ...loc], msg, type: 'value_error' };
    throw new RequestValidationError([issue]);
  };
  if (!Array.isArray(body)) return fail([], 'Input should be a JSON array of reported tokens');
  if (body.length > LEAK_REPORT_MAX_ENTRIES) {
    return fail([], `Input should hold at most ${LEAK_REPORT_MAX_ENTRIES} entries`);
  }
  return body.map((entry: unknown, i) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      return fail([i], 'Input should be an object');
    }
    const { token, type, url, source } = entry as Record<string, unknown>;
    if (typeof token !== 'string' || token.length === 0 || token.length > TOKEN_MAX_CHARS) {
      return fail([i, 'token'], `Input should be a string of 1 to ${TOKEN_MAX_CHARS} characters`);
    }
    if (type !== undefined && (typeof type !== 'string' || type.length > LABEL_MAX_CHARS)) {
      return fail([i, 'type'], `Input should be a string of at most ${LABEL_MAX_CHARS} characters`);
    }
    return {
      token,
      // Named back in the answer: a secret in it is masked there too.
      reportedType: type === undefined ? '' : redactSecrets(type),
      sighting: {
        url: sightingText(url, URL_MAX_CHARS),
        source: sightingText(source, LABEL_MAX_CHARS),
        type: sightingText(type, LABEL_MAX_CHARS),
      },
    };
  });
}

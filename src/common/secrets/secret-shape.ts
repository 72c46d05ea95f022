import { crc32 } from 'node:zlib';
import { Base64Bounds, base64Decodings, unescaped } from './secret-decoding';

/**
 * The shape of a Latchkey token, `<prefix>_<30 base62 random><6 base62 CRC32 of the random part>`,
 * and its checksum: pure functions, below every feature, so that tokens mint and check with them
 * and any feature can tell a secret in free text without asking tokens.
 */

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const TOKEN_PATTERN = /^([a-z][a-z0-9]{0,15})_([0-9A-Za-z]{30})([0-9A-Za-z]{6})$/;
/** A token's body anywhere in text: after a prefix character and `_`, and not inside a longer run. */
const TOKEN_IN_TEXT = /(?<=[a-z0-9]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})(?![0-9A-Za-z])/g;

/**
 * The one pattern secret scanners (gitleaks, GitHub custom patterns) are given for the tokens of
 * `prefix`, as the README and docs/api.md print it: the token is its first group. No `\b`, which
 * would miss a token right after `_` (`LATCHKEY_TOKEN_lk_…`), and no look-behind, which gitleaks'
 * RE2 lacks.
 */
export function scannerPattern(prefix: string): string {
  const body = RANDOM_LENGTH + CHECKSUM_LENGTH;
  return `(?:^|[^0-9A-Za-z])(${prefix}_[0-9A-Za-z]{${body}})(?:[^0-9A-Za-z]|$)`;
}

/** `value` in base 62, left-padded with zeros to `width`. */
export function base62(value: number, width: number): string {
  let out = '';
  let n = value;
  do {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(width, '0');
}

/** The 6-character checksum of a token's random part. */
export function checksumOf(random: string): string {
  return base62(crc32(random), CHECKSUM_LENGTH);
}

/**
 * True when the string has the token shape and its checksum matches. Any prefix is accepted, so
 * tokens minted before a change of TOKEN_PREFIX still count.
 */
export function isWellFormedSecret(candidate: string): boolean {
  const match = TOKEN_PATTERN.exec(candidate);
  return match !== null && checksumOf(match[2]) === match[3];
}

/** `lk_ab12…wxyz`: enough to recognise a token in a list, far too little to use it. */
export function previewOf(secret: string): string {
  const cut = secret.indexOf('_') + 5;
  return `${secret.slice(0, cut)}…${secret.slice(-4)}`;
}

/**
 * True when the text holds a well-formed token with a valid checksum anywhere in it, as written
 * or in one of the encodings it takes by accident (`findSecrets`): a secret pasted into a name or
 * a reason. A look-alike with a wrong checksum is not one (one chance in 56 billion that random
 * text is).
 */
export function containsSecret(text: string): boolean {
  return text.length >= MIN_TOKEN_CHARS && findSecrets(text, liveTokensIn, false, 0).length > 0;
}

/** Where a secret stands in a text: a token as written, one cut at the text's end, or encoded. */
interface SecretSpan {
  start: number;
  end: number;
  kind: 'token' | 'stub' | 'encoded';
}

export interface RedactOptions {
  /**
   * Masks anything shaped like a token, checksum or not, as logs do; by default only live tokens
   * (valid checksum), so a receiver's answer keeps its look-alikes.
   */
  shapes?: boolean;
  /**
   * The text was cut at its end (a capped excerpt): a token cut short there is masked too, since
   * the 30 characters after its prefix are the whole secret (the 6 after them, their checksum),
   * and a few of them missing leave few enough guesses.
   */
  clipped?: boolean;
}

/**
 * The text with every secret in it masked where it stands (`findSecrets`): a live token as written
 * by its preview, anything else by `[REDACTED]`. For text from outside that is kept although it
 * cannot be refused: a webhook receiver's answer, a leak report's URL, a request's User-Agent.
 */
export function redactTokens(text: string, options: RedactOptions = {}): string {
  const clipped = options.clipped === true;
  if (text.length < (clipped ? MIN_STUB_CHARS : MIN_TOKEN_CHARS)) return text;
  const spans = findSecrets(text, options.shapes ? tokenShapesIn : liveTokensIn, clipped, 0);
  if (spans.length === 0) return text;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  for (const span of spans) {
    if (span.end <= at) continue;
    const start = Math.max(span.start, at);
    const whole = span.kind === 'token' && !options.shapes && start === span.start;
    out += text.slice(at, start) + (whole ? previewOf(text.slice(start, span.end)) : '[REDACTED]');
    at = span.end;
  }
  return out + text.slice(at);
}

/** The shortest token: a one-letter prefix, `_`, and 36 characters. */
const MIN_TOKEN_CHARS = 38;
/** The fewest characters after `_` that a cut token keeps and is masked for (a third of them). */
const STUB_BODY_CHARS = 12;
const MIN_STUB_CHARS = STUB_BODY_CHARS + 2;
/** Base64 of the shortest token (38 bytes), unpadded, and what its decoding must hold. */
const WHOLE: Base64Bounds = {
  minChars: Math.ceil((MIN_TOKEN_CHARS * 4) / 3),
  tailMinChars: Math.ceil((MIN_TOKEN_CHARS * 4) / 3),
  minRun: MIN_TOKEN_CHARS,
  tailMinRun: MIN_TOKEN_CHARS,
};
/** The same, where a text was cut: base64 of the shortest stub that is masked, at the end. */
const CUT: Base64Bounds = {
  ...WHOLE,
  tailMinChars: Math.ceil((MIN_STUB_CHARS * 4) / 3),
  tailMinRun: MIN_STUB_CHARS,
};
/** Layers of encoding looked through: base64 of a URL-encoded token, a URL holding base64 of one. */
const MAX_DEPTH = 2;

const TOKEN_SHAPE = /[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{36}/g;
const TOKEN_STUB = new RegExp(`(?<=[a-z0-9]_)[0-9A-Za-z]{${STUB_BODY_CHARS},35}$`);

type TokenFinder = (text: string) => SecretSpan[];

/** Live tokens as written, from the first character of their prefix. */
function liveTokensIn(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  for (const m of text.matchAll(TOKEN_IN_TEXT)) {
    if (checksumOf(m[1]) === m[2]) {
      spans.push({ start: prefixStart(text, m.index - 1), end: m.index + 36, kind: 'token' });
    }
  }
  return spans;
}

/** Anything shaped like a token, checksum or not, even with other characters run into it. */
function tokenShapesIn(text: string): SecretSpan[] {
  return [...text.matchAll(TOKEN_SHAPE)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    kind: 'token' as const,
  }));
}

/** Where the prefix before the `_` at `underscore` starts: at most 16 of `a-z0-9`. */
function prefixStart(text: string, underscore: number): number {
  let start = underscore;
  while (start > 0 && underscore - start < 16 && /[a-z0-9]/.test(text[start - 1])) start--;
  return start;
}

/**
 * Every secret in `text`: tokens as written (`find`), a token cut at the end of a clipped text,
 * and the same in each decoding of it (`secret-decoding.ts`), up to `MAX_DEPTH` layers, mapped
 * back to where the encoded form stands. Linear: each layer decodes to no more than its source,
 * base64 from four starting points, so the whole is a bounded multiple of the text's length.
 */
function findSecrets(
  text: string,
  find: TokenFinder,
  clipped: boolean,
  depth: number,
): SecretSpan[] {
  const spans = find(text);
  if (clipped) {
    const stub = TOKEN_STUB.exec(text);
    if (stub)
      spans.push({ start: prefixStart(text, stub.index - 1), end: text.length, kind: 'stub' });
  }
  if (depth >= MAX_DEPTH) return spans;
  const layers = base64Decodings(text, clipped ? CUT : WHOLE);
  const unescapedText = unescaped(text);
  if (unescapedText) layers.push(unescapedText);
  for (const layer of layers) {
    for (const inner of findSecrets(layer.text, find, clipped && layer.atEnd, depth + 1)) {
      const [start, end] = layer.sourceOf(inner.start, inner.end);
      spans.push({ start, end, kind: 'encoded' });
    }
  }
  return spans;
}

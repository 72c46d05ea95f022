/**
 * The encodings a secret takes on its way into text without anyone meaning it to: percent-encoding
 * (a URL, a form) and `\uXXXX` escapes (JSON), and base64 or base64url (a Basic header, a JWT's
 * payload, a blob). Each decoding keeps a map back to its source, so that what is found in it is
 * masked where it stands. Pure and linear: a decoded text is never longer than its source.
 */

/** A decoding of (part of) a text. */
export interface Decoded {
  text: string;
  /** Whether it runs to its source's end, so a cut at that end cuts it too. */
  atEnd: boolean;
  /** The span of the source that the decoded span `[start, end)` came from. */
  sourceOf(start: number, end: number): [number, number];
}

// A `\u` escape's backslash may itself be escaped (JSON inside JSON, up to four deep): `\\u006c`
// is `l`. Bounded, so that a long run of backslashes is not tried from each of its characters.
const ESCAPE = /%[0-9A-Fa-f]{2}|\\{1,16}u[0-9A-Fa-f]{4}/g;
const PARTIAL_ESCAPE = /(?:%[0-9A-Fa-f]?|\\{1,16}(?:u[0-9A-Fa-f]{0,3})?)$/;

/** Rounds of unescaping: a URL holding a value that was itself escaped twice (`%25256C`). */
const UNESCAPE_ROUNDS = 3;

/**
 * The text with its `%XX` and `\uXXXX` escapes decoded, each `%XX` as the one character of that
 * code (a token is ASCII, so no UTF-8 sequence need be put together), again while escapes are
 * left, up to `UNESCAPE_ROUNDS`; null when it has none.
 */
export function unescaped(text: string): Decoded | null {
  let round = unescapeOnce(text);
  if (!round) return null;
  for (let n = 1; n < UNESCAPE_ROUNDS; n++) {
    const next = unescapeOnce(round.text);
    if (!next) break;
    const outer: Decoded = round;
    round = {
      text: next.text,
      atEnd: true,
      sourceOf: (start, end) => outer.sourceOf(...next.sourceOf(start, end)),
    };
  }
  return round;
}

function unescapeOnce(text: string): Decoded | null {
  if (!text.includes('%') && !text.includes('\\u')) return null;
  // from[i] is where the i-th decoded character starts in the source; from[length] its end.
  const from: number[] = [];
  let out = '';
  let last = 0;
  for (const m of text.matchAll(ESCAPE)) {
    for (let i = last; i < m.index; i++) from.push(i);
    out += text.slice(last, m.index);
    out += String.fromCharCode(parseInt(m[0][0] === '%' ? m[0].slice(1) : m[0].slice(-4), 16));
    from.push(m.index);
    last = m.index + m[0].length;
  }
  if (last === 0) return null;
  // An escape cut short at the end (`%6`) is no character: left out, so that what stands before
  // it ends the decoded text, and a span to that end runs to the source's end.
  const partial = PARTIAL_ESCAPE.exec(text.slice(last));
  const stop = partial ? text.length - partial[0].length : text.length;
  for (let i = last; i < stop; i++) from.push(i);
  from.push(text.length);
  out += text.slice(last, stop);
  return { text: out, atEnd: true, sourceOf: (start, end) => [from[start], from[end]] };
}

/** Each base64 and base64url character's 6 bits; -1 for any other. */
const SEXTET = new Int8Array(128).fill(-1);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'].forEach((c, i) => {
  SEXTET[c.charCodeAt(0)] = i;
});
SEXTET['+'.charCodeAt(0)] = SEXTET['-'.charCodeAt(0)] = 62;
SEXTET['/'.charCodeAt(0)] = SEXTET['_'.charCodeAt(0)] = 63;

const sextetOf = (code: number) => (code < 128 ? SEXTET[code] : -1);

/**
 * The bytes that a token and each encoding of one are written in: `0-9A-Za-z_`, and `%`, `\`,
 * `+`, `/` and `-`. A decoding holding no run of `minRun` of them holds nothing to look for,
 * which is what decoding any other text (a URL's path, a hash) gives: it is never made a string.
 */
const INKED = new Uint8Array(256);
for (const c of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_%\\+/-') {
  INKED[c.charCodeAt(0)] = 1;
}

/** Reused between calls: decoding is synchronous, and most of it is thrown away. */
let scratch = new Uint8Array(1024);

export interface Base64Bounds {
  /** The fewest characters in a run, and in the run that ends the text (a blob cut there). */
  minChars: number;
  tailMinChars: number;
  /** The fewest bytes of `INKED` in a row, anywhere and at the end, that a decoding must hold. */
  minRun: number;
  tailMinRun: number;
}

/**
 * Every base64 or base64url run within `bounds`, decoded from each of its first four characters:
 * a run that starts with characters of another word (`key_` or `/path/` before a blob) still
 * decodes, at one of the four, on the boundaries it was encoded on. Padding ends a run, so two
 * blobs side by side decode apart. Runs are found by a scan of character codes, not a pattern,
 * since this runs on each request log line's URL.
 */
export function base64Decodings(text: string, bounds: Base64Bounds): Decoded[] {
  const found: Decoded[] = [];
  let i = 0;
  while (i < text.length) {
    if (sextetOf(text.charCodeAt(i)) < 0) {
      i++;
      continue;
    }
    const runStart = i;
    while (i < text.length && sextetOf(text.charCodeAt(i)) >= 0) i++;
    const atEnd = i === text.length;
    const min = atEnd ? Math.min(bounds.minChars, bounds.tailMinChars) : bounds.minChars;
    for (let a = 0; a < 4 && i - runStart - a >= min; a++) {
      const decoded = decodedRun(text, runStart + a, i, bounds);
      if (decoded) found.push(decoded);
    }
  }
  return found;
}

function decodedRun(text: string, start: number, end: number, bounds: Base64Bounds) {
  const size = Math.floor(((end - start) * 3) / 4);
  if (scratch.length < size) scratch = new Uint8Array(size * 2);
  const bytes = scratch;
  let n = 0;
  let acc = 0;
  let bits = 0;
  let run = 0;
  let longest = 0;
  const atEnd = end === text.length;
  const need = atEnd ? Math.min(bounds.minRun, bounds.tailMinRun) : bounds.minRun;
  for (let i = start; i < end; i++) {
    acc = ((acc << 6) | SEXTET[text.charCodeAt(i)]) & 0xfff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      const byte = (acc >> bits) & 0xff;
      bytes[n++] = byte;
      run = INKED[byte] ? run + 1 : 0;
      if (run > longest) longest = run;
      // Given up as soon as no run long enough can be left: a URL's path, after a few bytes.
      else if (longest < bounds.minRun && run + size - n < need) return null;
    }
  }
  if (longest < bounds.minRun && !(atEnd && run >= bounds.tailMinRun)) return null;
  let decoded = '';
  for (let i = 0; i < n; i += 4096) {
    // An array-like of char codes: at most 4096 arguments at a time.
    decoded += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(n, i + 4096)) as never);
  }
  return {
    text: decoded,
    atEnd,
    // Every 3 bytes come from 4 characters; the last byte's span runs to the run's end, so the
    // bits of a byte cut short there go with it.
    sourceOf: (s: number, e: number): [number, number] => [
      start + Math.floor(s / 3) * 4,
      e >= n ? end : Math.min(end, start + Math.ceil(e / 3) * 4),
    ],
  };
}

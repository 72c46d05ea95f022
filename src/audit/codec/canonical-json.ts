/**
 * RFC 8785 (JCS) canonical JSON for the values an audit event holds: objects with keys sorted
 * by UTF-16 code units, no whitespace, and ECMAScript's serialization of strings and numbers
 * (which JCS adopts, so `JSON.stringify` is exact for primitives). Keys whose value is
 * `undefined` are left out, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('JCS has no form for a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    const record = value as Record<string, unknown>;
    // Array.prototype.sort compares UTF-16 code units, which is the order JCS prescribes.
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
  }
  // A Date or a class instance would silently become `{}`: the caller must say what it means.
  throw new TypeError(`JCS has no form for a ${typeof value} that is not plain data`);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * True when `text` is certainly `canonicalJson(JSON.parse(text))`: a flat object whose keys are
 * strictly increasing and hold no escape, and whose values are strings without escapes or
 * control characters, `null`, `true`, `false`, or integers without sign, leading zero or
 * exponent. That is the shape of nearly every event's metadata; the rest takes the long way.
 */
export function plainCanonical(text: string): boolean {
  const n = text.length;
  if (n < 2 || text.charCodeAt(0) !== 123 /* { */ || text.charCodeAt(n - 1) !== 125 /* } */) {
    return false;
  }
  if (n === 2) return true;
  let i = 1;
  let previousKey: string | null = null;
  for (;;) {
    // "key"
    if (text.charCodeAt(i) !== 34) return false;
    const keyEnd = plainStringEnd(text, i + 1);
    if (keyEnd < 0) return false;
    const key = text.slice(i + 1, keyEnd);
    if (previousKey !== null && !(previousKey < key)) return false;
    previousKey = key;
    i = keyEnd + 1;
    if (text.charCodeAt(i) !== 58 /* : */) return false;
    i++;
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const end = plainStringEnd(text, i + 1);
      if (end < 0) return false;
      i = end + 1;
    } else if (c === 110 /* n */ && text.startsWith('null', i)) {
      i += 4;
    } else if (c === 116 /* t */ && text.startsWith('true', i)) {
      i += 4;
    } else if (c === 102 /* f */ && text.startsWith('false', i)) {
      i += 5;
    } else if (c === 48 /* 0 */) {
      i++;
    } else if (c >= 49 && c <= 57 /* 1-9 */) {
      // At most 15 digits: every such integer is exact in a double, so it prints as written.
      const start = i;
      do i++;
      while (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57);
      if (i - start > 15) return false;
    } else {
      return false;
    }
    const next = text.charCodeAt(i);
    if (next === 125 /* } */) return i === n - 1;
    if (next !== 44 /* , */) return false;
    i++;
  }
}

/**
 * The index of the quote closing a string that starts at `from`, when the string holds no
 * backslash, no control character and no surrogate (so `JSON.stringify` would write it as it
 * is); -1 otherwise.
 */
function plainStringEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return i;
    if (c === 92 || c < 32 || (c >= 0xd800 && c <= 0xdfff)) return -1;
  }
  return -1;
}

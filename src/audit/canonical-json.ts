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

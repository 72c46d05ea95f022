import { envelope } from './http/envelope';

/**
 * Answers whose enveloped JSON is written once and reused (see `settledAnswer`): a settled
 * answer's as UTF-8 bytes, a variant's as text.
 */
const settled = new WeakMap<object, Buffer | string | null>();

/**
 * Marks an answer that will never change (a view built once per cached row and frozen, deep): the
 * envelope hook serializes it the first time it is sent and sends the same bytes afterwards, so
 * a warm request pays no `JSON.stringify`, and no encoding either: a preview's `…` makes the text
 * two bytes a character, which the socket would otherwise flatten behind the headers and encode
 * to UTF-8 again on every answer. Freezes it, so a later change throws rather than goes unsent.
 */
export function settledAnswer<T extends object>(value: T): T {
  settled.set(deepFreeze(value), null);
  return value;
}

/**
 * A settled answer that differs from one already sent (`base`) only in one number, at the key
 * `key`: its JSON is the base's with that number spliced in, so an answer that changes with every
 * request (a limited token's uses left) is not serialized whole each time. `key` must occur in the
 * base's JSON once, as a key: a string value holding the same text is escaped (`\"`) and cannot
 * match. Answers `value`, not frozen (nothing reads it but the envelope hook).
 */
export function settledVariant<T extends object>(
  base: object,
  key: string,
  n: number,
  value: T,
): T {
  let parts = variantParts.get(base);
  if (parts === undefined) {
    const json = settledJson(base);
    if (json === undefined) return value;
    parts = splitAt(json, key);
    variantParts.set(base, parts);
  }
  if (parts) settled.set(value, `${parts[0]}${n}${parts[1]}`);
  return value;
}

/** Per base answer: its JSON before and after the number a variant changes (null: none found). */
const variantParts = new WeakMap<object, [string, string] | null>();

function splitAt(json: string, key: string): [string, string] | null {
  const marker = `"${key}":`;
  const at = json.indexOf(marker) + marker.length;
  const number = at < marker.length ? null : /^-?\d+/.exec(json.slice(at, at + 24));
  return number ? [json.slice(0, at), json.slice(at + number[0].length)] : null;
}

/**
 * The enveloped JSON of a settled answer or a variant as it goes out, written on first use: a
 * settled answer's UTF-8 bytes, a variant's text. Undefined for any other answer.
 */
export function settledBody(value: unknown): Buffer | string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const body = settled.get(value);
  if (body === undefined) return undefined;
  if (body !== null) return body;
  const written = utf8(JSON.stringify(envelope(value)));
  settled.set(value, written);
  return written;
}

/** The enveloped JSON of a settled answer or a variant, as text; undefined for any other. */
export function settledJson(value: unknown): string | undefined {
  const body = settledBody(value);
  return typeof body === 'string' ? body : body?.toString('utf8');
}

/**
 * The bytes of `text` in a buffer of their own: a settled answer lives as long as its cached
 * token, and `Buffer.from` would cut it from the shared pool, keeping a whole slab alive with it.
 */
function utf8(text: string): Buffer {
  const bytes = new TextEncoder().encode(text);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

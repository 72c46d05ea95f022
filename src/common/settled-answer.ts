import { envelope } from './http/envelope';

/** Answers whose enveloped JSON is written once and reused: see `settledAnswer`. */
const settled = new WeakMap<object, string | null>();

/**
 * Marks an answer that will never change (a view built once per cached row and frozen, deep): the
 * envelope hook serializes it the first time it is sent and sends the same text afterwards, so
 * a warm request pays no `JSON.stringify`. Freezes it, so a later change throws rather than goes
 * unsent.
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

/** The enveloped JSON of a settled answer, written on first use; undefined for any other. */
export function settledJson(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const json = settled.get(value);
  if (json === undefined) return undefined;
  if (json !== null) return json;
  const written = JSON.stringify(envelope(value));
  settled.set(value, written);
  return written;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

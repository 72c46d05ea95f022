/** What the token forms (new token, edit token) read from their text fields. */

/** A comma- or newline-separated list, its entries trimmed, the empty ones left out. */
export const list = (text: string, split: RegExp) =>
  text
    .split(split)
    .map((s) => s.trim())
    .filter(Boolean);

/** Scopes, as typed: separated by commas or spaces. */
export const scopeList = (text: string) => list(text, /[\s,]+/);

/** Networks, as typed: one per line, or separated by commas. */
export const cidrList = (text: string) => list(text, /[\n,]+/);

export type Meta = Record<string, unknown>;

/**
 * The meta field's text as a JSON object: null when empty, or the reason it is not one (the
 * server checks its size, depth and keys).
 */
export function parseMeta(text: string): { meta: Meta | null } | { error: string } {
  if (!text.trim()) return { meta: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'Not valid JSON.' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'Must be a JSON object, e.g. {"team": "payments"}.' };
  }
  return { meta: value as Meta };
}

/** A token's meta as the edit form shows it: indented JSON, or empty for none. */
export const metaText = (meta: Meta | null | undefined) =>
  meta ? JSON.stringify(meta, null, 2) : '';

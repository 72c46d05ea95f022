/**
 * Text that no database stores as given: a lone UTF-16 surrogate (PostgreSQL's driver writes one
 * U+FFFD in its place, SQLite's three) and U+0000 (PostgreSQL refuses it). Requests never bring
 * it (the validation pipe answers 422); what is stored by other paths is made storable.
 */
const LONE_SURROGATE =
  '[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]';
const UNCLEAN = new RegExp(`\\0|${LONE_SURROGATE}`);
const UNCLEAN_ALL = new RegExp(UNCLEAN.source, 'g');

/** True for well-formed Unicode text without U+0000. */
export function isCleanText(text: string): boolean {
  return !UNCLEAN.test(text);
}

/** The text with every lone surrogate and U+0000 replaced by U+FFFD. */
export function storable(text: string): string;
export function storable(text: string | null): string | null;
export function storable(text: string | null): string | null {
  return text === null ? null : text.replace(UNCLEAN_ALL, '\uFFFD');
}

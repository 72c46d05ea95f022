import { crc32 } from 'node:zlib';

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

/**
 * True when the text holds a well-formed token with a valid checksum anywhere in it: a secret
 * pasted into a name or a reason. A look-alike with a wrong checksum is not one (one chance in
 * 56 billion that random text is).
 */
export function containsSecret(text: string): boolean {
  for (const match of text.matchAll(TOKEN_IN_TEXT)) {
    if (checksumOf(match[1]) === match[2]) return true;
  }
  return false;
}

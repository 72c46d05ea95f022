import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const TOKEN_PATTERN = /^([a-z][a-z0-9]{0,15})_([0-9A-Za-z]{30})([0-9A-Za-z]{6})$/;

/** A freshly minted token: the secret to show once, and what is stored in its place. */
export interface MintedSecret {
  secret: string;
  hash: string;
  preview: string;
}

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: rejecting the top bytes keeps every character equally likely.
      if (byte < 248) out += ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

function base62(value: number, width: number): string {
  let out = '';
  let n = value;
  do {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(width, '0');
}

function checksum(random: string): string {
  return base62(crc32(random), CHECKSUM_LENGTH);
}

/** SHA-256 of the whole secret, hex: the only form in which a token is stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** `lk_ab12…wxyz`: enough to recognise a token in a list, far too little to use it. */
export function previewOf(secret: string): string {
  const cut = secret.indexOf('_') + 5;
  return `${secret.slice(0, cut)}…${secret.slice(-4)}`;
}

/** Mints `<prefix>_<30 base62 random><6 base62 CRC32 of the random part>`. */
export function mintSecret(prefix: string): MintedSecret {
  const random = randomBase62(RANDOM_LENGTH);
  const secret = `${prefix}_${random}${checksum(random)}`;
  return { secret, hash: hashSecret(secret), preview: previewOf(secret) };
}

/**
 * True when the string has the token shape and its checksum matches. This runs before any
 * lookup, so a typo or a random string never reaches the database. Any prefix is accepted, so
 * tokens minted before a change of TOKEN_PREFIX keep working.
 */
export function isWellFormedSecret(candidate: string): boolean {
  const match = TOKEN_PATTERN.exec(candidate);
  return match !== null && checksum(match[2]) === match[3];
}

/** A public, non-secret token identifier (32 hex characters). */
export function newJti(): string {
  return randomUUID().replace(/-/g, '');
}

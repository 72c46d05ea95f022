import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  checksumOf,
  isWellFormedSecret,
  previewOf,
  RANDOM_LENGTH,
} from '../common/secrets/secret-shape';

export { isWellFormedSecret, previewOf };

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

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

/** SHA-256 of the whole secret, hex: the only form in which a token is stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Mints `<prefix>_<30 base62 random><6 base62 CRC32 of the random part>`. */
export function mintSecret(prefix: string): MintedSecret {
  const random = randomBase62(RANDOM_LENGTH);
  const secret = `${prefix}_${random}${checksumOf(random)}`;
  return { secret, hash: hashSecret(secret), preview: previewOf(secret) };
}

/** A public, non-secret token identifier (32 hex characters). */
export function newJti(): string {
  return randomUUID().replace(/-/g, '');
}

/** The longest key brought from elsewhere that is hashed and looked up. */
export const IMPORTED_KEY_MAX = 256;
/** 1 to 256 printable ASCII characters, no space (a bearer header holds none). */
const IMPORTED_KEY = /^[\x21-\x7e]{1,256}$/;

/**
 * Whether `candidate` could be a key brought from another service (`origin: import`): bounded
 * and printable, so a flood of long or odd strings is refused without hashing them. Whatever its
 * shape: a key of another service may look like Latchkey's own (GitHub's `ghp_` and 36 letters
 * and digits does), and its "checksum" then fails, so the checksum cannot tell it from a typo;
 * the lookup can. Where no key was imported, `ImportedKeys` refuses it before any lookup.
 */
export function isImportedKeyShape(candidate: string): boolean {
  return candidate.length <= IMPORTED_KEY_MAX && IMPORTED_KEY.test(candidate);
}

/** The preview of an imported key given none: the secret was never here, so its hash's start. */
export function importedPreview(hash: string): string {
  return `imported…${hash.slice(0, 4)}`;
}

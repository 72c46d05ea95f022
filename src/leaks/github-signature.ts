import { createPublicKey, KeyObject, verify } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { AppConfig } from '../config/app-config';
import { ConfigValidationError } from '../config/load-config';

/**
 * GitHub's secret scanning partner program signs each report it POSTs: `Github-Public-Key-Signature`
 * is the base64 of an ECDSA P-256 / SHA-256 signature (DER) over the exact body bytes, made with
 * the key that `Github-Public-Key-Identifier` names among those GitHub publishes
 * (`https://api.github.com/meta/public_keys/secret_scanning`). There is no fetching here: the
 * operator keeps a copy of that JSON in `GITHUB_SECRET_SCANNING_KEYS_FILE`.
 */

/** What a report's headers and body came to. */
export type SignatureCheck = 'valid' | 'missing' | 'unknown_key' | 'invalid';

/** A DER ECDSA P-256 signature is at most 72 bytes (96 in base64); anything far longer is not one. */
const MAX_SIGNATURE_CHARS = 256;
const MAX_KEY_ID_CHARS = 256;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Checks report signatures against GitHub's public keys, current or not, by their identifiers. */
export class GithubSignatureVerifier {
  constructor(private readonly keys: ReadonlyMap<string, KeyObject>) {}

  /** Whether `signature` (base64 DER) by the key `keyId` holds over these exact bytes. */
  check(keyId: string | undefined, signature: string | undefined, body: Buffer): SignatureCheck {
    if (!keyId || !signature) return 'missing';
    if (keyId.length > MAX_KEY_ID_CHARS) return 'unknown_key';
    const key = this.keys.get(keyId);
    if (!key) return 'unknown_key';
    if (signature.length > MAX_SIGNATURE_CHARS || !BASE64.test(signature)) return 'invalid';
    try {
      const der = Buffer.from(signature, 'base64');
      return verify('sha256', body, { key, dsaEncoding: 'der' }, der) ? 'valid' : 'invalid';
    } catch {
      // OpenSSL refuses some malformed DER outright rather than answering false.
      return 'invalid';
    }
  }
}

/**
 * The keys of GitHub's public keys JSON, `{"public_keys": [{key_identifier, key, is_current}]}`,
 * by identifier. Every key listed is kept, current or not: GitHub may still sign with a key it is
 * rotating away from. Throws, saying what is wrong, on anything else.
 */
export function parseGithubPublicKeys(text: string): Map<string, KeyObject> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  const list = (json as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(list) || list.length === 0) {
    throw new Error('no "public_keys" list with at least one key');
  }
  const keys = new Map<string, KeyObject>();
  list.forEach((entry: unknown, i) => {
    const { key_identifier: id, key: pem } = (entry ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_KEY_ID_CHARS) {
      throw new Error(`public_keys[${i}].key_identifier is not a string of 1 to 256 characters`);
    }
    if (keys.has(id)) throw new Error(`public_keys[${i}].key_identifier is listed twice`);
    if (typeof pem !== 'string') throw new Error(`public_keys[${i}].key is not a string`);
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new Error(`public_keys[${i}].key is not a PEM public key`);
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`public_keys[${i}].key is not an ECDSA P-256 key`);
    }
    keys.set(id, key);
  });
  return keys;
}

/** Leak reports are on when the keys file is configured, and off (404) otherwise. */
export type GithubKeys = { kind: 'off' } | { kind: 'on'; keys: ReadonlyMap<string, KeyObject> };

const VARIABLE = 'GITHUB_SECRET_SCANNING_KEYS_FILE';
/** GitHub's document holds a handful of keys; a file far larger is the wrong file. */
const MAX_FILE_BYTES = 1024 * 1024;
const RESOLVED = new WeakMap<AppConfig, GithubKeys>();

/**
 * The keys, read once per config: `startApp` calls it before the app is built, so a file that is
 * missing, unreadable or not GitHub's keys JSON fails the start as a bad variable does, named.
 * The file is read at start only: restart after replacing it (GitHub announces rotations).
 */
export function githubKeysOf(config: AppConfig): GithubKeys {
  let keys = RESOLVED.get(config);
  if (!keys) {
    keys = resolve(config.GITHUB_SECRET_SCANNING_KEYS_FILE);
    RESOLVED.set(config, keys);
  }
  return keys;
}

function resolve(path: string | undefined): GithubKeys {
  if (!path) return { kind: 'off' };
  let text: string;
  try {
    if (statSync(path).size > MAX_FILE_BYTES) {
      throw new ConfigValidationError([`${VARIABLE}: ${path} is larger than 1 MiB`]);
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof ConfigValidationError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigValidationError([`${VARIABLE}: cannot read ${path} (${code})`]);
  }
  try {
    return { kind: 'on', keys: parseGithubPublicKeys(text) };
  } catch (e) {
    throw new ConfigValidationError([
      `${VARIABLE}: ${path} is not GitHub's public keys JSON: ${(e as Error).message}`,
    ]);
  }
}

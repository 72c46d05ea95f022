import { AppConfig } from '../config/app-config';
import { ConfigValidationError } from '../config/load-config';
import { keyFileIn, keysDirOf, readKeyFile, startMakesKeys } from '../config/key-files';
import { formatJwtKeySet, JwtSigningKey, newJwtSigningKey, parseJwtKeySet } from './jwt-key-set';

/** The key set's file in the keys folder (KEYS_DIR, or the SQLite default's data folder). */
export const DEFAULT_JWT_KEYS_FILE = 'jwt-signing-keys.json';

/**
 * Where the key set came from. A file's path is kept, as `keys rotate-jwt` rewrites it. Off only
 * when there is none and no start may make one (`missing`: PostgreSQL with no keys, which the
 * server refuses to start with; a CLI run, which signs nothing, goes on).
 */
export type JwtKeySource =
  | { kind: 'env'; keys: JwtSigningKey[] }
  | { kind: 'file' | 'created'; keys: JwtSigningKey[]; path: string }
  | { kind: 'off'; reason: 'missing' };

const RESOLVED = new WeakMap<AppConfig, JwtKeySource>();

/**
 * The JWT signing key set of a config, resolved once per config (so the first start's new file is
 * made once) and before the app is built, so a bad set fails the start as a bad variable does:
 * JWT_SIGNING_KEYS, JWT_SIGNING_KEYS_FILE or the keys folder's `jwt-signing-keys.json`. With the
 * embedded SQLite default and none, the first start makes the file in the data folder (mode
 * 0600); elsewhere `cli keys init` makes it.
 */
export function jwtKeySourceOf(config: AppConfig): JwtKeySource {
  let source = RESOLVED.get(config);
  if (!source) {
    source = resolve(config);
    RESOLVED.set(config, source);
  }
  return source;
}

function resolve(config: AppConfig): JwtKeySource {
  if (config.JWT_SIGNING_KEYS && config.JWT_SIGNING_KEYS_FILE) {
    throw new ConfigValidationError([
      'JWT_SIGNING_KEYS_FILE: set JWT_SIGNING_KEYS or JWT_SIGNING_KEYS_FILE, not both',
    ]);
  }
  if (config.JWT_SIGNING_KEYS) {
    return { kind: 'env', keys: parseJwtKeySet('JWT_SIGNING_KEYS', config.JWT_SIGNING_KEYS) };
  }
  const path = config.JWT_SIGNING_KEYS_FILE;
  if (path) {
    const text = readKeyFile('JWT_SIGNING_KEYS_FILE', path);
    return { kind: 'file', keys: parseJwtKeySet(`JWT_SIGNING_KEYS_FILE (${path})`, text), path };
  }
  const dir = keysDirOf(config);
  const found = dir && jwtKeyFileIn(dir, startMakesKeys(config));
  if (!found) return { kind: 'off', reason: 'missing' };
  return { kind: found.created ? 'created' : 'file', keys: found.keys, path: found.path };
}

/**
 * The key set file in `dir`, read and checked; made when missing if `make` (`cli keys init`, and
 * the embedded default's first start) with one key that signs at once: nothing has signed before
 * the set exists, so there is nothing to publish ahead of. Null when missing and not made.
 */
export function jwtKeyFileIn(
  dir: string,
  make: boolean,
): { path: string; keys: JwtSigningKey[]; created: boolean } | null {
  const file = keyFileIn(
    'KEYS_DIR',
    dir,
    DEFAULT_JWT_KEYS_FILE,
    make ? () => formatJwtKeySet([newJwtSigningKey(Date.now())]) : undefined,
  );
  return (
    file && { path: file.path, keys: parseJwtKeySet(file.path, file.text), created: file.created }
  );
}

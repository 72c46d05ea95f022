import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AppConfig } from '../config/app-config';
import { ConfigValidationError } from '../config/load-config';
import { KEYS_INIT_COMMAND, keysDirOf, readKeyFile } from '../config/key-files';
import {
  formatJwtKeySet,
  JwtSigningKey,
  listedKeys,
  MAX_KEYS,
  newJwtSigningKey,
  parseJwtKeySet,
} from './jwt-key-set';
import { DEFAULT_JWT_KEYS_FILE } from './jwt-key-source';

/** What `keys rotate-jwt` prints: where, which key was added and when it signs; never a key. */
export interface JwtKeyRotation {
  file: string;
  kid: string;
  active_from: string;
  /** The kids the JWKS lists now, the new one included, oldest first. */
  listed_kids: string[];
  /** The kids dropped: replaced longer than JWT_SIGNING_KEY_RETIRED_LISTED_HOURS ago. */
  removed_kids: string[];
}

/**
 * `keys rotate-jwt`: adds a key to the set's file that signs JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS
 * from now (instances restarted before then list it before any signs with it), and drops the
 * keys no JWKS lists any more. The file is JWT_SIGNING_KEYS_FILE or the keys folder's; a set in
 * JWT_SIGNING_KEYS is refused, as no command can change a variable.
 */
export function rotateJwtSigningKeys(config: AppConfig, now = Date.now()): JwtKeyRotation {
  const path = rotatedFileOf(config);
  const variable = config.JWT_SIGNING_KEYS_FILE ? 'JWT_SIGNING_KEYS_FILE' : 'KEYS_DIR';
  const where = config.JWT_SIGNING_KEYS_FILE ? `JWT_SIGNING_KEYS_FILE (${path})` : path;
  const keys = parseJwtKeySet(where, readKeyFile(variable, path));
  const retiredListedMs = config.JWT_SIGNING_KEY_RETIRED_LISTED_HOURS * 3_600_000;
  const kept = listedKeys(keys, now, retiredListedMs);
  if (kept.length >= MAX_KEYS) {
    // Written, a set of more would refuse every start that reads it.
    throw new ConfigValidationError([
      `${where}: ${kept.length} keys are still listed, and a set holds at most ${MAX_KEYS}; ` +
        'rotate again once older ones leave the list (JWT_SIGNING_KEY_RETIRED_LISTED_HOURS)',
    ]);
  }
  const added = newJwtSigningKey(now + config.JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS * 1000);
  const rotated: JwtSigningKey[] = [...kept, added];
  writeAtomically(path, `${formatJwtKeySet(rotated)}\n`);
  const keptKids = new Set(kept.map((key) => key.kid));
  return {
    file: resolve(path),
    kid: added.kid,
    active_from: added.active_from,
    listed_kids: listedKeys(rotated, now, retiredListedMs).map((key) => key.kid),
    removed_kids: keys.filter((key) => !keptKids.has(key.kid)).map((key) => key.kid),
  };
}

/** The file a rotation rewrites, or a refusal that says which file to rotate instead. */
function rotatedFileOf(config: AppConfig): string {
  if (config.JWT_SIGNING_KEYS) {
    throw new ConfigValidationError([
      'JWT_SIGNING_KEYS: the keys come from this variable, which no command can change; keep ' +
        `the set in a file (JWT_SIGNING_KEYS_FILE, or ${DEFAULT_JWT_KEYS_FILE} in KEYS_DIR, as ` +
        `${KEYS_INIT_COMMAND} makes it) and rotate the file instead`,
    ]);
  }
  if (config.JWT_SIGNING_KEYS_FILE) return config.JWT_SIGNING_KEYS_FILE;
  const dir = keysDirOf(config);
  if (!dir) {
    throw new ConfigValidationError([
      'KEYS_DIR: not set; name the folder every instance reads its keys from, as in: ' +
        'KEYS_DIR=./keys npm run -s cli -- keys rotate-jwt',
    ]);
  }
  const path = join(dir, DEFAULT_JWT_KEYS_FILE);
  if (!existsSync(path)) {
    throw new ConfigValidationError([
      `KEYS_DIR: ${dir} has no ${DEFAULT_JWT_KEYS_FILE} to rotate; make the keys with: KEYS_DIR=${dir} ${KEYS_INIT_COMMAND}`,
    ]);
  }
  return path;
}

/**
 * Replaces `path` with `text` in one step: written and flushed to a temporary file beside it
 * (mode 0600), then renamed over it, so an instance that starts meanwhile reads the old set or the
 * new one, never half of one. The temporary file is removed if anything fails.
 */
function writeAtomically(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // The umask may only have narrowed the mode; this says it is exactly 0600.
    chmodSync(temp, 0o600);
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigValidationError([`${path}: cannot write the rotated key set (${code})`]);
  }
}

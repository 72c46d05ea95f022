import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { ConfigValidationError } from '../../config/load-config';
import { keyFileIn, keysDirOf, readKeyFile, startMakesKeys } from '../../config/key-files';

/** The key's file in the keys folder (KEYS_DIR, or the SQLite default's data folder). */
export const DEFAULT_SECRETS_KEY_FILE = 'webhook-secrets.key';

/**
 * Where the key came from: start says so in one line. Off when an operator turned webhooks off
 * (`disabled`), or when there is no key and no start may make one (`missing`: PostgreSQL with no
 * key, which the server refuses to start with; a CLI run, which delivers nothing, goes on).
 */
export type SecretsKey =
  | { kind: 'env' | 'file'; key: Buffer }
  | { kind: 'created'; key: Buffer; path: string }
  | { kind: 'off'; reason: 'disabled' | 'missing' };

const RESOLVED = new WeakMap<AppConfig, SecretsKey>();

/**
 * The key that seals webhook signing secrets at rest, resolved once per config (so the first
 * start's new file is made once) and before the app is built, so a bad key fails the start as a
 * bad variable does. WEBHOOK_SECRETS_KEY, WEBHOOK_SECRETS_KEY_FILE or the keys folder (32 bytes
 * in base64); with the embedded SQLite default and none, the first start makes the file in the
 * data folder (mode 0600); elsewhere `cli keys init` makes it.
 */
export function secretsKeyOf(config: AppConfig): SecretsKey {
  let key = RESOLVED.get(config);
  if (!key) {
    key = resolve(config);
    RESOLVED.set(config, key);
  }
  return key;
}

function resolve(config: AppConfig): SecretsKey {
  if (!config.WEBHOOKS_ENABLED) return { kind: 'off', reason: 'disabled' };
  if (config.WEBHOOK_SECRETS_KEY && config.WEBHOOK_SECRETS_KEY_FILE) {
    throw new ConfigValidationError([
      'WEBHOOK_SECRETS_KEY_FILE: set WEBHOOK_SECRETS_KEY or WEBHOOK_SECRETS_KEY_FILE, not both',
    ]);
  }
  if (config.WEBHOOK_SECRETS_KEY) {
    return { kind: 'env', key: keyOrFail('WEBHOOK_SECRETS_KEY', config.WEBHOOK_SECRETS_KEY) };
  }
  if (config.WEBHOOK_SECRETS_KEY_FILE) {
    const text = readKeyFile('WEBHOOK_SECRETS_KEY_FILE', config.WEBHOOK_SECRETS_KEY_FILE);
    return { kind: 'file', key: keyOrFail('WEBHOOK_SECRETS_KEY_FILE', text) };
  }
  const dir = keysDirOf(config);
  const found = dir && secretsKeyFileIn(dir, startMakesKeys(config));
  if (!found) return { kind: 'off', reason: 'missing' };
  return found.created
    ? { kind: 'created', key: found.key, path: found.path }
    : { kind: 'file', key: found.key };
}

/**
 * The key file in `dir`, read and checked; made when missing if `make` (`cli keys init`, and the
 * embedded default's first start). Null when missing and not made.
 */
export function secretsKeyFileIn(
  dir: string,
  make: boolean,
): { path: string; key: Buffer; created: boolean } | null {
  const file = keyFileIn(
    'KEYS_DIR',
    dir,
    DEFAULT_SECRETS_KEY_FILE,
    make ? () => randomBytes(32).toString('base64') : undefined,
  );
  return file && { path: file.path, key: keyOrFail(file.path, file.text), created: file.created };
}

function keyOrFail(where: string, text: string): Buffer {
  const key = /^[A-Za-z0-9+/_-]{43}=?$/.test(text) ? Buffer.from(text, 'base64') : null;
  if (!key || key.length !== 32) {
    throw new ConfigValidationError([
      `${where}: not 32 bytes in base64 (make one with: openssl rand -base64 32)`,
    ]);
  }
  return key;
}

const VERSION = 'v1';

/**
 * Seals a secret with AES-256-GCM, bound to its endpoint (the additional data), so a sealed
 * secret copied to another endpoint's row does not open.
 */
export function seal(key: Buffer, endpointId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(endpointId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

/** Opens a sealed secret; throws when the key or the endpoint is not the one it was sealed with. */
export function open(key: Buffer, endpointId: string, sealed: string): string {
  const [version, text] = sealed.split('.', 2);
  if (version !== VERSION || !text) throw new Error('not a sealed webhook secret');
  const bytes = Buffer.from(text, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(endpointId));
  decipher.setAuthTag(bytes.subarray(12, 28));
  return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppConfig, ConfigValidationError } from '../config/app-config';

/** The key the embedded default keeps beside its database, readable by its owner only. */
export const DEFAULT_SECRETS_KEY_FILE = 'webhook-secrets.key';

/** Where the key came from: start says so in one line. */
export type SecretsKey =
  | { kind: 'env' | 'file'; key: Buffer }
  | { kind: 'created'; key: Buffer; path: string }
  | { kind: 'off' };

const RESOLVED = new WeakMap<AppConfig, SecretsKey>();

/**
 * The key that seals webhook signing secrets at rest, resolved once per config (so the first
 * start's new file is made once) and before the app is built, so a bad key fails the start as a
 * bad variable does. WEBHOOK_SECRETS_KEY or WEBHOOK_SECRETS_KEY_FILE (32 bytes in base64); with the
 * embedded SQLite default and neither, a new key file in the data folder (mode 0600); with
 * DATABASE_URL and neither, webhooks are off.
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
  if (config.WEBHOOK_SECRETS_KEY && config.WEBHOOK_SECRETS_KEY_FILE) {
    throw new ConfigValidationError([
      'WEBHOOK_SECRETS_KEY_FILE: set WEBHOOK_SECRETS_KEY or WEBHOOK_SECRETS_KEY_FILE, not both',
    ]);
  }
  if (config.WEBHOOK_SECRETS_KEY) {
    return { kind: 'env', key: keyOrFail('WEBHOOK_SECRETS_KEY', config.WEBHOOK_SECRETS_KEY) };
  }
  if (config.WEBHOOK_SECRETS_KEY_FILE) {
    const path = config.WEBHOOK_SECRETS_KEY_FILE;
    return { kind: 'file', key: keyOrFail('WEBHOOK_SECRETS_KEY_FILE', readKey(path)) };
  }
  if (config.databaseDriver !== 'sqlite') return { kind: 'off' };
  const path = join(dirname(config.SQLITE_PATH), DEFAULT_SECRETS_KEY_FILE);
  if (existsSync(path)) return { kind: 'file', key: keyOrFail(path, readKey(path)) };
  const text = randomBytes(32).toString('base64');
  mkdirSync(dirname(path), { recursive: true });
  // `wx`: a key another start wrote first is never overwritten.
  writeFileSync(path, `${text}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { kind: 'created', key: keyOrFail(path, text), path };
}

function readKey(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new ConfigValidationError([
      `WEBHOOK_SECRETS_KEY_FILE: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
}

/** 32 bytes in base64, or a start that fails naming where the key came from, never its text. */
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

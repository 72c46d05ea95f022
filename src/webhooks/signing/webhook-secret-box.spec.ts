import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/load-config';
import { open, seal, secretsKeyOf } from './webhook-secret-box';

const KEY = Buffer.alloc(32, 1);

describe('webhook secret box', () => {
  it('opens what it sealed, for the same endpoint only', () => {
    const sealed = seal(KEY, 'endpoint-a', 'whsec_abc');
    expect(sealed).not.toContain('whsec_abc');
    expect(open(KEY, 'endpoint-a', sealed)).toBe('whsec_abc');
    expect(() => open(KEY, 'endpoint-b', sealed)).toThrow();
    expect(() => open(Buffer.alloc(32, 2), 'endpoint-a', sealed)).toThrow();
  });

  it('seals the same secret differently each time', () => {
    expect(seal(KEY, 'e', 's')).not.toBe(seal(KEY, 'e', 's'));
  });

  it('refuses a tampered box', () => {
    const sealed = seal(KEY, 'e', 'whsec_abc');
    const bytes = Buffer.from(sealed.slice(3), 'base64');
    bytes[bytes.length - 1] ^= 1;
    expect(() => open(KEY, 'e', `v1.${bytes.toString('base64')}`)).toThrow();
    expect(() => open(KEY, 'e', 'v2.AAAA')).toThrow('not a sealed webhook secret');
  });
});

describe(secretsKeyOf.name, () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'lk-webhook-key-'));

  it('makes a key file beside the SQLite database once, readable by its owner only', () => {
    const folder = dir();
    const config = loadConfig({ SQLITE_PATH: join(folder, 'db.sqlite') });
    const made = secretsKeyOf(config);
    expect(made.kind).toBe('created');
    const path = join(folder, 'webhook-secrets.key');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = secretsKeyOf(loadConfig({ SQLITE_PATH: join(folder, 'db.sqlite') }));
    expect(again.kind).toBe('file');
    expect(again.kind !== 'off' && made.kind !== 'off' && again.key.equals(made.key)).toBe(true);
    expect(readFileSync(path, 'utf8').trim()).toHaveLength(44);
  });

  it('is missing, never made, with PostgreSQL and no key, and off only when turned off', () => {
    const pg = 'postgres://x@127.0.0.1/y';
    expect(secretsKeyOf(loadConfig({ DATABASE_URL: pg }))).toEqual({
      kind: 'off',
      reason: 'missing',
    });
    const empty = dir();
    expect(secretsKeyOf(loadConfig({ DATABASE_URL: pg, KEYS_DIR: empty }))).toEqual({
      kind: 'off',
      reason: 'missing',
    });
    expect(readdirSync(empty)).toEqual([]);
    const off = loadConfig({
      DATABASE_URL: pg,
      WEBHOOKS_ENABLED: 'false',
      WEBHOOK_SECRETS_KEY: KEY.toString('base64'),
    });
    expect(secretsKeyOf(off)).toEqual({ kind: 'off', reason: 'disabled' });
  });

  it('reads the file in KEYS_DIR, on either driver, and makes none there', () => {
    const folder = dir();
    writeFileSync(join(folder, 'webhook-secrets.key'), `${KEY.toString('base64')}\n`);
    for (const db of [
      { DATABASE_URL: 'postgres://x@127.0.0.1/y' },
      { SQLITE_PATH: join(dir(), 'x.sqlite') },
    ]) {
      const found = secretsKeyOf(loadConfig({ ...db, KEYS_DIR: folder }));
      expect(found.kind === 'file' && found.key.equals(KEY)).toBe(true);
    }
    const empty = dir();
    const sqlite = secretsKeyOf(
      loadConfig({ SQLITE_PATH: join(dir(), 'x.sqlite'), KEYS_DIR: empty }),
    );
    expect(sqlite).toEqual({ kind: 'off', reason: 'missing' });
    expect(readdirSync(empty)).toEqual([]);
  });

  it.each([
    ['not base64 of 32 bytes', { WEBHOOK_SECRETS_KEY: 'short' }],
    ['16 bytes', { WEBHOOK_SECRETS_KEY: Buffer.alloc(16).toString('base64') }],
    [
      'both the key and a file',
      { WEBHOOK_SECRETS_KEY: KEY.toString('base64'), WEBHOOK_SECRETS_KEY_FILE: '/nonexistent' },
    ],
    ['a file that cannot be read', { WEBHOOK_SECRETS_KEY_FILE: '/nonexistent/key' }],
  ] as [string, Record<string, string>][])(
    'fails the start on %s, naming the variable and never the key',
    (_label, env) => {
      const config = loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/y', ...env });
      let message = '';
      try {
        secretsKeyOf(config);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/WEBHOOK_SECRETS_KEY/);
      if (env.WEBHOOK_SECRETS_KEY) expect(message).not.toContain(env.WEBHOOK_SECRETS_KEY);
    },
  );
});

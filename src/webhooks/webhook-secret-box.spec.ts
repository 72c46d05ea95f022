import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/app-config';
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

  it('is off with PostgreSQL and no key', () => {
    expect(secretsKeyOf(loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/y' })).kind).toBe('off');
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

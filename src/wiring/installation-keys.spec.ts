import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_KEY_FILE, keySourceOf } from '../audit/checkpoints/audit-signer';
import { generateSigner } from '../audit/checkpoints/signed-note';
import { ConfigValidationError, loadConfig } from '../config/load-config';
import { formatJwtKeySet, newJwtSigningKey } from '../signing/jwt-key-set';
import { DEFAULT_JWT_KEYS_FILE, jwtKeySourceOf } from '../signing/jwt-key-source';
import { DEFAULT_SECRETS_KEY_FILE, secretsKeyOf } from '../webhooks/signing/webhook-secret-box';
import { initInstallationKeys, requireInstallationKeys } from './installation-keys';

const AUDIT_KEY = generateSigner('latchkey.test').signerKey;
/**
 * The secret of a signer key text: its base64 after `<prefix><name>+<key id>+`. Whole: base64 may
 * hold `+` itself, so what follows the last `+` may be a letter or nothing.
 */
const signerSecret = (text: string): string => /\+[0-9a-f]{8}\+(.+)$/.exec(text.trim())?.[1] ?? '';
const SECRETS_KEY = Buffer.alloc(32, 3).toString('base64');
const JWT_KEY = newJwtSigningKey(Date.now());
const JWT_KEYS = formatJwtKeySet([JWT_KEY]);
/** The private part of every JWT signing key in a set's text. */
const jwtSecrets = (text: string): string[] =>
  [...text.matchAll(/"d": "([A-Za-z0-9_-]+)"/g)].map((m) => m[1]);
const KEY_FILES = [DEFAULT_KEY_FILE, DEFAULT_SECRETS_KEY_FILE, DEFAULT_JWT_KEYS_FILE];
const PG = 'postgres://nobody@127.0.0.1:1/none';

const made: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-keys-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Where a key comes from: its variable, its _FILE variable, the keys folder, nowhere, or off. */
type Source = 'env' | 'file' | 'dir' | 'none' | 'off';
type Driver = 'sqlite' | 'postgres';

interface Row {
  driver: Driver;
  keysDir: boolean;
  audit: Source;
  webhooks: Source;
  /** The JWT signing keys have no switch: no feature that signs turns off for want of them. */
  jwt: Exclude<Source, 'off'>;
}

/** Every combination: with no KEYS_DIR, a key cannot come from it. */
const ROWS: Row[] = (['sqlite', 'postgres'] as const).flatMap((driver) =>
  [false, true].flatMap((keysDir) => {
    const sources: Source[] = keysDir
      ? ['env', 'file', 'dir', 'none', 'off']
      : ['env', 'file', 'none', 'off'];
    const jwtSources = sources.filter((s): s is Row['jwt'] => s !== 'off');
    return sources.flatMap((audit) =>
      sources.flatMap((webhooks) =>
        jwtSources.map((jwt) => ({ driver, keysDir, audit, webhooks, jwt })),
      ),
    );
  }),
);

/** The env of a row, with its files written: the keys folder holds only the keys it names. */
function envOf(row: Row): { env: Record<string, string>; keysDir: string | null; data: string } {
  const data = folder();
  const keysDir = row.keysDir ? folder() : null;
  const files = folder();
  const env: Record<string, string> =
    row.driver === 'postgres' ? { DATABASE_URL: PG } : { SQLITE_PATH: join(data, 'db.sqlite') };
  if (keysDir) env.KEYS_DIR = keysDir;
  const give = (source: Source, variable: string, fileName: string, text: string, off?: string) => {
    if (source === 'env') env[variable] = text;
    if (source === 'file') {
      writeFileSync(join(files, fileName), `${text}\n`);
      env[`${variable}_FILE`] = join(files, fileName);
    }
    if (source === 'dir') writeFileSync(join(keysDir!, fileName), `${text}\n`);
    if (source === 'off') env[off!] = 'false';
  };
  give(row.audit, 'AUDIT_SIGNING_KEY', DEFAULT_KEY_FILE, AUDIT_KEY, 'AUDIT_CHECKPOINTS_ENABLED');
  give(
    row.webhooks,
    'WEBHOOK_SECRETS_KEY',
    DEFAULT_SECRETS_KEY_FILE,
    SECRETS_KEY,
    'WEBHOOKS_ENABLED',
  );
  give(row.jwt, 'JWT_SIGNING_KEYS', DEFAULT_JWT_KEYS_FILE, JWT_KEYS);
  return { env, keysDir, data };
}

/** What a key of this source resolves to: made only by SQLite's start with no KEYS_DIR. */
function expectedKind(row: Row, source: Source): string {
  if (source === 'off') return 'off:disabled';
  if (source === 'env') return 'env';
  if (source === 'file' || source === 'dir') return 'file';
  return row.driver === 'sqlite' && !row.keysDir ? 'created' : 'off:missing';
}

const kindOf = (s: { kind: string; reason?: string }) =>
  s.kind === 'off' ? `off:${s.reason}` : s.kind;

describe(requireInstallationKeys.name, () => {
  it.each(ROWS)(
    '$driver, KEYS_DIR $keysDir, audit key from $audit, webhook key from $webhooks, JWT keys from $jwt',
    (row) => {
      const { env, keysDir, data } = envOf(row);
      const before = keysDir ? readdirSync(keysDir).sort() : [];
      const config = loadConfig(env);
      const audit = expectedKind(row, row.audit);
      const webhooks = expectedKind(row, row.webhooks);
      const jwt = expectedKind(row, row.jwt);
      let refusal: string | null = null;
      try {
        requireInstallationKeys(config);
      } catch (e) {
        if (!(e instanceof ConfigValidationError)) throw e;
        refusal = e.message;
      }
      expect(kindOf(keySourceOf(config))).toBe(audit);
      expect(kindOf(secretsKeyOf(config))).toBe(webhooks);
      expect(kindOf(jwtKeySourceOf(config))).toBe(jwt);
      const missing = [audit, webhooks, jwt].includes('off:missing');
      if (!missing) {
        expect(refusal).toBeNull();
      } else {
        // Refused, with the command that makes the keys, naming each missing key and no other.
        expect(refusal).toContain(`KEYS_DIR=${keysDir ?? './keys'} npm run -s cli -- keys init`);
        expect(refusal!.includes('the audit signing key')).toBe(audit === 'off:missing');
        expect(refusal!.includes('the webhook secrets key')).toBe(webhooks === 'off:missing');
        expect(refusal!.includes('the JWT signing keys')).toBe(jwt === 'off:missing');
        expect(refusal).not.toContain(signerSecret(AUDIT_KEY));
        expect(refusal).not.toContain(SECRETS_KEY);
        expect(refusal).not.toContain(JWT_KEY.d);
      }
      // A start never makes a key in KEYS_DIR, and makes one in SQLite's data folder only when
      // it has no KEYS_DIR.
      if (keysDir) expect(readdirSync(keysDir).sort()).toEqual(before);
      const made = readdirSync(data).filter((f) => KEY_FILES.includes(f));
      expect(made.sort()).toEqual(
        [
          audit === 'created' ? DEFAULT_KEY_FILE : null,
          webhooks === 'created' ? DEFAULT_SECRETS_KEY_FILE : null,
          jwt === 'created' ? DEFAULT_JWT_KEYS_FILE : null,
        ]
          .filter((f) => f !== null)
          .sort(),
      );
    },
  );
});

describe(initInstallationKeys.name, () => {
  it('makes the three keys, 0600 in a new 0700 folder, and keeps them the second time', () => {
    const dir = join(folder(), 'keys');
    const config = () => loadConfig({ DATABASE_URL: PG, KEYS_DIR: dir });
    const first = initInstallationKeys(config());
    expect(first.keys).toEqual({
      keys_dir: dir,
      audit_signing_key: { path: join(dir, DEFAULT_KEY_FILE), status: 'created' },
      webhook_secrets_key: { path: join(dir, DEFAULT_SECRETS_KEY_FILE), status: 'created' },
      jwt_signing_keys: { path: join(dir, DEFAULT_JWT_KEYS_FILE), status: 'created' },
      audit_verifier_key: expect.stringMatching(/^latchkey\.local\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/),
    });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const texts = KEY_FILES.map((f) => {
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
      return readFileSync(join(dir, f), 'utf8');
    });
    // Nothing printed holds a key.
    const printed = JSON.stringify(first);
    // The secret of each: the signer key's, the webhook key's whole text, the JWT key's d.
    const secrets = [signerSecret(texts[0]), texts[1].trim(), ...jwtSecrets(texts[2])];
    expect(secrets).toHaveLength(3);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(40);
      expect(printed).not.toContain(secret);
    }

    const again = initInstallationKeys(config());
    expect(again.keys).toEqual({
      ...first.keys,
      audit_signing_key: { ...first.keys.audit_signing_key, status: 'kept' },
      webhook_secrets_key: { ...first.keys.webhook_secrets_key, status: 'kept' },
      jwt_signing_keys: { ...first.keys.jwt_signing_keys, status: 'kept' },
    });
    expect(again.notes[0]).toMatch(/^Kept the keys already in .*: nothing was overwritten\.$/);
    expect(KEY_FILES.map((f) => readFileSync(join(dir, f), 'utf8'))).toEqual(texts);
  });

  it('makes only the missing one, and says when a folder lets others in', () => {
    const dir = folder();
    writeFileSync(join(dir, DEFAULT_SECRETS_KEY_FILE), `${SECRETS_KEY}\n`, { mode: 0o600 });
    const { keys, notes } = initInstallationKeys(loadConfig({ DATABASE_URL: PG, KEYS_DIR: dir }));
    expect([
      keys.audit_signing_key.status,
      keys.webhook_secrets_key.status,
      keys.jwt_signing_keys.status,
    ]).toEqual(['created', 'kept', 'created']);
    expect(readFileSync(join(dir, DEFAULT_SECRETS_KEY_FILE), 'utf8')).toBe(`${SECRETS_KEY}\n`);
    // mkdtemp makes 0700; a shared folder is named, not changed.
    expect(notes.some((n) => n.includes('chmod 700'))).toBe(false);
    const open = join(folder(), 'open');
    mkdirSync(open);
    chmodSync(open, 0o755);
    const shared = initInstallationKeys(loadConfig({ DATABASE_URL: PG, KEYS_DIR: open }));
    expect(shared.notes).toContainEqual(expect.stringContaining('has mode 0755'));
    expect(statSync(open).mode & 0o777).toBe(0o755);
  });

  it('writes into SQLite’s data folder with no KEYS_DIR, the files its start reads', () => {
    const data = folder();
    const config = loadConfig({ SQLITE_PATH: join(data, 'db.sqlite') });
    const { keys } = initInstallationKeys(config);
    expect(keys.keys_dir).toBe(data);
    const started = loadConfig({ SQLITE_PATH: join(data, 'db.sqlite') });
    expect(kindOf(keySourceOf(started))).toBe('file');
    expect(kindOf(secretsKeyOf(started))).toBe('file');
    expect(kindOf(jwtKeySourceOf(started))).toBe('file');
    const source = keySourceOf(started);
    expect(source.kind === 'file' && source.signer.verifier.text).toBe(keys.audit_verifier_key);
  });

  it('refuses PostgreSQL with no KEYS_DIR, naming the variable and the command', () => {
    expect(() => initInstallationKeys(loadConfig({ DATABASE_URL: PG }))).toThrow(
      'KEYS_DIR=./keys npm run -s cli -- keys init',
    );
  });

  it.each([
    [DEFAULT_KEY_FILE, 'PRIVATE+KEY+bad+00000000+c2VjcmV0'],
    [DEFAULT_SECRETS_KEY_FILE, 'c2VjcmV0LXRvby1zaG9ydA=='],
    [DEFAULT_JWT_KEYS_FILE, '{"keys":[{"kty":"EC","d":"c2VjcmV0"'],
    [DEFAULT_JWT_KEYS_FILE, '{"keys":[{"kty":"EC","crv":"P-256","d":"c2VjcmV0LXRvby1zaG9ydA"}]}'],
  ])('never overwrites a malformed %s, and never echoes it', (file, text) => {
    const dir = folder();
    writeFileSync(join(dir, file), `${text}\n`, { mode: 0o600 });
    let message = '';
    try {
      initInstallationKeys(loadConfig({ DATABASE_URL: PG, KEYS_DIR: dir }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(join(dir, file));
    expect(message).not.toContain('c2Vjc');
    expect(readFileSync(join(dir, file), 'utf8')).toBe(`${text}\n`);
  });
});

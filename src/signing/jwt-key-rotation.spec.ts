import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { ConfigValidationError, loadConfig } from '../config/load-config';
import { formatJwtKeySet, newJwtSigningKey, parseJwtKeySet } from './jwt-key-set';
import { rotateJwtSigningKeys } from './jwt-key-rotation';
import { DEFAULT_JWT_KEYS_FILE } from './jwt-key-source';
import { JwtSigner } from './jwt-signer';

const T = Date.parse('2030-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const PG = 'postgres://nobody@127.0.0.1:1/none';

const made: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-jwt-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A keys folder whose set holds one key, active since a day before T. */
function keysDir() {
  const dir = folder();
  const first = newJwtSigningKey(T - 24 * HOUR);
  writeFileSync(join(dir, DEFAULT_JWT_KEYS_FILE), `${formatJwtKeySet([first])}\n`, {
    mode: 0o600,
  });
  return { dir, first, env: { DATABASE_URL: PG, KEYS_DIR: dir } };
}

const privateParts = (path: string) =>
  parseJwtKeySet('test', readFileSync(path, 'utf8')).map((k) => k.d);

/** An instance restarted at `now`: it reads the file again. */
function restarted(env: Record<string, string>, now: number) {
  const sut = new JwtSigner(loadConfig(env));
  sut.clock = () => now;
  return sut;
}

describe(rotateJwtSigningKeys.name, () => {
  it('adds a key that signs an hour on, lists it at once, and keeps the one it replaces', async () => {
    const { dir, first, env } = keysDir();
    const path = join(dir, DEFAULT_JWT_KEYS_FILE);
    const sut = rotateJwtSigningKeys(loadConfig(env), T);
    expect(sut).toEqual({
      file: path,
      kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      active_from: new Date(T + HOUR).toISOString(),
      listed_kids: [first.kid, sut.kid],
      removed_kids: [],
    });
    // Nothing printed holds a private part.
    for (const d of privateParts(path)) expect(JSON.stringify(sut)).not.toContain(d);
    // Written whole, 0600, with no temporary file left beside it.
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([DEFAULT_JWT_KEYS_FILE]);

    // An instance restarted now lists the new key but still signs with the old one...
    const before = restarted(env, T);
    expect(before.jwks().keys.map((k) => k.kid)).toEqual([first.kid, sut.kid]);
    expect(decodeProtectedHeader(await before.sign({ typ: 'x+jwt' }, {})).kid).toBe(first.kid);
    // ...and, once it is active, signs with the new one, still listing the old.
    const after = restarted(env, T + HOUR);
    expect(after.jwks().keys.map((k) => k.kid)).toEqual([first.kid, sut.kid]);
    expect(decodeProtectedHeader(await after.sign({ typ: 'x+jwt' }, {})).kid).toBe(sut.kid);
  });

  it('drops a replaced key from the file at the first rotation past the listed window', () => {
    const { dir, first, env } = keysDir();
    const config = () => loadConfig({ ...env, JWT_SIGNING_KEY_RETIRED_LISTED_HOURS: '2' });
    const second = rotateJwtSigningKeys(config(), T);
    // Within the window after the second became active: the first is kept.
    const third = rotateJwtSigningKeys(config(), T + 3 * HOUR - 1);
    expect(third.removed_kids).toEqual([]);
    expect(third.listed_kids).toEqual([first.kid, second.kid, third.kid]);
    // Past it: dropped, and only it.
    const fourth = rotateJwtSigningKeys(config(), T + 3 * HOUR);
    expect(fourth.removed_kids).toEqual([first.kid]);
    expect(fourth.listed_kids).toEqual([second.kid, third.kid, fourth.kid]);
    const kept = parseJwtKeySet('test', readFileSync(join(dir, DEFAULT_JWT_KEYS_FILE), 'utf8'));
    expect(kept.map((k) => k.kid)).toEqual(fourth.listed_kids);
  });

  it('publishes as far ahead as JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS says, 0 for at once', () => {
    const { env } = keysDir();
    const now = rotateJwtSigningKeys(
      loadConfig({ ...env, JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS: '0' }),
      T,
    );
    expect(now.active_from).toBe(new Date(T).toISOString());
    expect(
      restarted(env, T)
        .jwks()
        .keys.map((k) => k.kid),
    ).toContain(now.kid);
  });

  it('rotates the file JWT_SIGNING_KEYS_FILE names', () => {
    const { dir, first } = keysDir();
    const path = join(dir, 'elsewhere.json');
    writeFileSync(path, formatJwtKeySet([first]));
    const sut = rotateJwtSigningKeys(
      loadConfig({ DATABASE_URL: PG, JWT_SIGNING_KEYS_FILE: path }),
      T,
    );
    expect(sut.file).toBe(path);
    expect(privateParts(path)).toHaveLength(2);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses keys from JWT_SIGNING_KEYS, saying to rotate a file, and echoes no key', () => {
    const { first } = keysDir();
    const config = loadConfig({ DATABASE_URL: PG, JWT_SIGNING_KEYS: formatJwtKeySet([first]) });
    let refused: unknown;
    try {
      rotateJwtSigningKeys(config, T);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(ConfigValidationError);
    const message = (refused as Error).message;
    expect(message).toMatch(/^Invalid configuration:\n {2}- JWT_SIGNING_KEYS: /);
    expect(message).toContain('rotate the file instead');
    expect(message).not.toContain(first.d);
  });

  it.each([
    ['no keys folder (PostgreSQL, no KEYS_DIR)', () => ({ DATABASE_URL: PG }), 'KEYS_DIR: not set'],
    [
      'a keys folder with no key set',
      () => ({ DATABASE_URL: PG, KEYS_DIR: folder() }),
      'npm run -s cli -- keys init',
    ],
    [
      'a JWT_SIGNING_KEYS_FILE that is not there',
      () => ({ DATABASE_URL: PG, JWT_SIGNING_KEYS_FILE: join(folder(), 'none.json') }),
      'JWT_SIGNING_KEYS_FILE: cannot read',
    ],
  ])('refuses %s, writing nothing', (_title, env, expected) => {
    expect(() => rotateJwtSigningKeys(loadConfig(env()), T)).toThrow(expected);
  });

  it('refuses to write a set that no start would read (over 64 keys)', () => {
    const { dir, env } = keysDir();
    const path = join(dir, DEFAULT_JWT_KEYS_FILE);
    const full = Array.from({ length: 64 }, (_, i) => newJwtSigningKey(T + i));
    writeFileSync(path, formatJwtKeySet(full));
    expect(() => rotateJwtSigningKeys(loadConfig(env), T)).toThrow(
      '64 keys are still listed, and a set holds at most 64',
    );
    expect(privateParts(path)).toHaveLength(64);
  });

  it('never rewrites a malformed set, and never echoes it', () => {
    const { dir, first } = keysDir();
    const path = join(dir, DEFAULT_JWT_KEYS_FILE);
    const broken = formatJwtKeySet([{ ...first, alg: 'ES512' as 'ES256' }]);
    writeFileSync(path, broken);
    expect(() => rotateJwtSigningKeys(loadConfig({ DATABASE_URL: PG, KEYS_DIR: dir }), T)).toThrow(
      `${path}: keys[0] (kid ${first.kid}): alg must be "ES256"`,
    );
    expect(readFileSync(path, 'utf8')).toBe(broken);
    expect(readdirSync(dir)).toEqual([DEFAULT_JWT_KEYS_FILE]);
  });
});

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load-config';
import { formatJwtKeySet, newJwtSigningKey, parseJwtKeySet } from './jwt-key-set';
import { DEFAULT_JWT_KEYS_FILE, jwtKeySourceOf } from './jwt-key-source';

const PG = 'postgres://nobody@127.0.0.1:1/none';
const KEY = newJwtSigningKey(Date.now());
const SET = formatJwtKeySet([KEY]);

const made: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-jwt-src-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** The message of what resolving `env` throws. */
function refusal(env: Record<string, string>): string {
  try {
    jwtKeySourceOf(loadConfig(env));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('not refused');
}

describe(jwtKeySourceOf.name, () => {
  it('reads JWT_SIGNING_KEYS, then JWT_SIGNING_KEYS_FILE, then the keys folder', () => {
    expect(jwtKeySourceOf(loadConfig({ DATABASE_URL: PG, JWT_SIGNING_KEYS: SET }))).toEqual({
      kind: 'env',
      keys: [KEY],
    });
    const file = join(folder(), 'set.json');
    writeFileSync(file, SET);
    expect(jwtKeySourceOf(loadConfig({ DATABASE_URL: PG, JWT_SIGNING_KEYS_FILE: file }))).toEqual({
      kind: 'file',
      keys: [KEY],
      path: file,
    });
    const dir = folder();
    writeFileSync(join(dir, DEFAULT_JWT_KEYS_FILE), SET);
    expect(jwtKeySourceOf(loadConfig({ DATABASE_URL: PG, KEYS_DIR: dir }))).toEqual({
      kind: 'file',
      keys: [KEY],
      path: join(dir, DEFAULT_JWT_KEYS_FILE),
    });
  });

  it('makes the set beside SQLite’s database on the first start alone, 0600, one key active now', () => {
    const data = folder();
    const before = Date.now();
    const config = loadConfig({ SQLITE_PATH: join(data, 'db.sqlite') });
    const made = jwtKeySourceOf(config);
    expect(made).toMatchObject({ kind: 'created', path: join(data, DEFAULT_JWT_KEYS_FILE) });
    // Once per config, and read (not made again) by the next start.
    expect(jwtKeySourceOf(config)).toBe(made);
    const path = join(data, DEFAULT_JWT_KEYS_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const [key] = parseJwtKeySet('test', readFileSync(path, 'utf8'));
    expect(Date.parse(key.active_from)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(key.active_from)).toBeLessThanOrEqual(Date.now());
    const again = jwtKeySourceOf(loadConfig({ SQLITE_PATH: join(data, 'db.sqlite') }));
    expect(again).toEqual({ kind: 'file', keys: [key], path });
  });

  it('is missing on PostgreSQL with none, and in a KEYS_DIR without the file, making none', () => {
    expect(jwtKeySourceOf(loadConfig({ DATABASE_URL: PG }))).toEqual({
      kind: 'off',
      reason: 'missing',
    });
    const dir = folder();
    const sqlite = loadConfig({ SQLITE_PATH: join(folder(), 'db.sqlite'), KEYS_DIR: dir });
    expect(jwtKeySourceOf(sqlite)).toEqual({ kind: 'off', reason: 'missing' });
    expect(() => statSync(join(dir, DEFAULT_JWT_KEYS_FILE))).toThrow();
  });

  it('refuses both variables at once', () => {
    expect(
      refusal({ DATABASE_URL: PG, JWT_SIGNING_KEYS: SET, JWT_SIGNING_KEYS_FILE: '/x.json' }),
    ).toContain('JWT_SIGNING_KEYS_FILE: set JWT_SIGNING_KEYS or JWT_SIGNING_KEYS_FILE, not both');
  });

  it.each([
    ['JWT_SIGNING_KEYS', (text: string) => ({ JWT_SIGNING_KEYS: text }), 'JWT_SIGNING_KEYS: '],
    [
      'JWT_SIGNING_KEYS_FILE',
      (text: string) => {
        const file = join(folder(), 'set.json');
        writeFileSync(file, text);
        return { JWT_SIGNING_KEYS_FILE: file };
      },
      'JWT_SIGNING_KEYS_FILE (',
    ],
    [
      'the keys folder',
      (text: string) => {
        const dir = folder();
        writeFileSync(join(dir, DEFAULT_JWT_KEYS_FILE), text);
        return { KEYS_DIR: dir };
      },
      `${DEFAULT_JWT_KEYS_FILE}: `,
    ],
  ])('refuses a bad set from %s, naming where, never a key', (_where, envOf, named) => {
    const publicKey = formatJwtKeySet([{ ...KEY, d: undefined as unknown as string }]);
    const truncated = SET.slice(0, SET.indexOf(KEY.d) + 20);
    for (const text of [publicKey, truncated, '{"keys":"' + KEY.d + '"}']) {
      const message = refusal({ DATABASE_URL: PG, ...envOf(text) });
      expect(message).toContain(named);
      expect(message).not.toContain(KEY.d.slice(0, 12));
    }
  });
});

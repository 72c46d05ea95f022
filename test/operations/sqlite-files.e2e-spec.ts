import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from 'nestjs-pino';
import { cliInProcess } from '../harness/app/cli';
import { bootTestApp, TestDatabase } from '../harness/app/test-app';

// The embedded database at rest: its folder and files are private from the first start, and a
// start says so when an existing database file is not. SQLite only: PostgreSQL keeps no file.

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');

describe('the SQLite database files', () => {
  let root: string;
  beforeAll(() => (root = mkdtempSync(join(tmpdir(), 'sqlite-files-'))));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A database in a folder that does not exist yet, as on a fresh install. */
  const fresh = (name: string): TestDatabase & { dir: string; file: string } => {
    const dir = join(root, name, 'data');
    const file = join(dir, 'latchkey.sqlite');
    return { dir, file, env: { SQLITE_PATH: file }, drop: () => Promise.resolve() };
  };

  it('a fresh start makes the folder 0700 and the database, its -wal and -shm 0600, and warns of nothing', async () => {
    const db = fresh('server');
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const t = await bootTestApp('sqlite', {}, db);
    try {
      // A write while the app holds the database open: WAL mode keeps -wal and -shm beside it.
      await t
        .http()
        .get('/platform/v1/businesses')
        .set('authorization', `Bearer ${t.platformToken}`)
        .expect(200);
      const files = ['', '-wal', '-shm'].map((suffix) => `${db.file}${suffix}`);
      expect(files.map((f) => [f, existsSync(f) && modeOf(f)])).toEqual(
        files.map((f) => [f, '0600']),
      );
      expect(modeOf(db.dir)).toBe('0700');
      // The audit key made beside it on the first start is private too.
      expect(modeOf(join(db.dir, 'audit-signing.key'))).toBe('0600');
      expect(warn.mock.calls.filter(([m]) => String(m).includes(db.file))).toEqual([]);
    } finally {
      warn.mockRestore();
      await t.close();
    }
  });

  it('a start on an existing database others can read warns, naming the path and its mode only', async () => {
    const db = fresh('exposed');
    await (await bootTestApp('sqlite', {}, db)).close();
    chmodSync(db.file, 0o644);
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const t = await bootTestApp('sqlite', {}, db);
    try {
      // The exact words: the path and the mode, and nothing the database holds.
      const said = warn.mock.calls.map(([m]) => String(m)).filter((m) => m.includes(db.file));
      expect(said).toEqual([
        `${db.file} has mode 0644: users other than its owner may read or change the database ` +
          `(token hashes, audit events). Run: chmod 600 ${db.file}`,
      ]);
      // The operator's file keeps its mode: the start says what is wrong, and changes nothing.
      expect(modeOf(db.file)).toBe('0644');
    } finally {
      warn.mockRestore();
      await t.close();
    }
  });

  it('the CLI on a fresh install makes them private as the server does', async () => {
    const db = fresh('cli');
    const out = await cliInProcess(['bootstrap', '--email', 'ops@files.test'], db.env);
    expect(out.code).toBe(0);
    expect([modeOf(db.dir), modeOf(db.file)]).toEqual(['0700', '0600']);
  });
});

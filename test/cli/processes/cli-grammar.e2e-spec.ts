import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintSecret } from '../../../src/tokens/token-secret';
import { asOwner } from '../../harness/app/api';
import { buildApp } from '../../harness/app-cluster';
import { cli, cliInProcess } from '../../harness/app/cli';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { BusinessFixture, createBusiness, createToken } from '../../factories/tenancy.factory';
import { DRIVERS } from '../../setup/servers';

/**
 * One grammar for a secret on the command line: `--token-file PATH`, or `-` (or nothing) for
 * stdin; `--token -` is the same as `--token-file -`. Never the secret itself in argv.
 * Each row runs for every command that takes a secret, old names included.
 */
const SECRET_COMMANDS = [['tokens', 'revoke'], ['revoke']];

// The cases run the CLI in-process (cliInProcess), but for `--token-file -`: that one reads
// stdin through a real pipe, from a process of the built CLI (cli), on each driver.

beforeAll(() => buildApp(), 240_000);

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cli-grammar-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A SQLite file in a folder that does not exist: any command that opens it fails. */
const noDb = () => ({ SQLITE_PATH: join(dir, 'absent', 'never.sqlite') });
const openedNothing = () => expect(existsSync(join(dir, 'absent'))).toBe(false);

describe('a secret on argv is refused with exit 2, before anything opens, and never repeated', () => {
  const secret = mintSecret('lk').secret;
  const ARGV_FORMS: [string, (s: string) => string[]][] = [
    ['--token SECRET', (s) => ['--token', s]],
    ['--token=SECRET', (s) => [`--token=${s}`]],
    ['SECRET where the token id goes', (s) => [s]],
    ['SECRET after a token id', (s) => ['00000000-0000-4000-8000-000000000000', s]],
    ['--token-file SECRET (a pasted secret, not a path)', (s) => ['--token-file', s]],
    ['--token-file=SECRET', (s) => [`--token-file=${s}`]],
    ['--token SECRET beside --token-file -', (s) => ['--token', s, '--token-file', '-']],
  ];

  it.each(
    SECRET_COMMANDS.flatMap((command) =>
      ARGV_FORMS.map(([form, args]) => ({
        name: command.join(' '),
        form,
        args: [...command, ...args(secret)],
      })),
    ),
  )('$name $form', async ({ args }) => {
    const refused = await cliInProcess(args, noDb(), `${secret}\n`);
    expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 2, stdout: '' });
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('--token-file');
    expect(refused.stderr).not.toContain(secret.slice(3));
    expect(refused.stderr).not.toContain('[REDACTED]');
    openedNothing();
  });
});

describe('a source with no token in it is one message, before anything opens', () => {
  const secret = mintSecret('lk').secret;
  type Source = [string, () => { args: string[]; input?: string }, number, RegExp];
  const SOURCES: Source[] = [
    ['an empty file', () => ({ args: ['--token-file', file('empty', '')] }), 1, /No token given/],
    [
      'a file of blank lines',
      () => ({ args: ['--token-file', file('blank', '\n  \n')] }),
      1,
      /No token given/,
    ],
    [
      'a missing file',
      () => ({ args: ['--token-file', join(dir, 'missing.txt')] }),
      2,
      /^Cannot read --token-file \S+missing\.txt \(ENOENT\)$/m,
    ],
    [
      'a directory',
      () => ({ args: ['--token-file', folder('a-folder')] }),
      2,
      /^Cannot read --token-file \S+a-folder \(EISDIR\)$/m,
    ],
    [
      'an endless file with no line break',
      () => ({ args: ['--token-file', '/dev/zero'] }),
      1,
      /longer than any token/,
    ],
    ['empty stdin, by --token-file -', () => ({ args: ['--token-file', '-'] }), 1, /No token/],
    ['empty stdin, by --token -', () => ({ args: ['--token', '-'] }), 1, /No token/],
    [
      'both --token - and --token-file',
      () => ({ args: ['--token', '-', '--token-file', file('both', `${secret}\n`)] }),
      1,
      /not both/,
    ],
    [
      'a token id and --token-file',
      () => ({
        args: ['00000000-0000-4000-8000-000000000000', '--token-file', file('id', `${secret}\n`)],
      }),
      1,
      /not both/,
    ],
  ];

  function file(name: string, text: string): string {
    const path = join(dir, `${name}.txt`);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }
  function folder(name: string): string {
    const path = join(dir, name);
    mkdirSync(path, { recursive: true });
    return path;
  }

  it.each(
    SECRET_COMMANDS.flatMap((command) =>
      SOURCES.map(([source, given, code, message]) => ({
        name: command.join(' '),
        source,
        command,
        given,
        code,
        message,
      })),
    ),
  )('$name, $source', async ({ command, given, code, message }) => {
    const { args, input } = given();
    const failed = await cliInProcess([...command, ...args], noDb(), input);
    expect({ code: failed.code, stdout: failed.stdout }).toEqual({ code, stdout: '' });
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(message);
    expect(failed.stderr).not.toContain(secret.slice(3));
    openedNothing();
  });
});

describe.each(DRIVERS)('the same secret, by file or by stdin, on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createBusiness(t);
  });
  afterAll(() => t?.close());

  /** How the secret reaches the command: a file (CRLF, a second line after it) or stdin. */
  const WAYS: [string, (file: string) => string[], 'file' | 'stdin'][] = [
    ['--token-file PATH', (file) => ['--token-file', file], 'file'],
    ['--token-file=PATH', (file) => [`--token-file=${file}`], 'file'],
    ['--token-file -', () => ['--token-file', '-'], 'stdin'],
    ['--token -', () => ['--token', '-'], 'stdin'],
    ['stdin, with no option', () => [], 'stdin'],
  ];

  it.each(
    SECRET_COMMANDS.flatMap((command) =>
      WAYS.map(([way, args, from]) => ({ name: command.join(' '), way, command, args, from })),
    ),
  )('$name by $way revokes it, and prints no secret', async ({ way, command, args, from }) => {
    const { id, secret } = await createToken(t, asOwner(biz), { name: `grammar ${way}` });
    const file = join(dir, `${id}.txt`);
    writeFileSync(file, `${secret}\r\nthe second line is not read\n`, { mode: 0o600 });
    const reason = `by ${way}`;
    // A real pipe for `--token-file -` (spawned); the other ways in-process.
    const run = way === '--token-file -' ? cli : cliInProcess;
    const revoked = await run(
      [...command, ...args(file), '--reason', reason],
      t.db.env,
      from === 'stdin' ? `${secret}\n` : '',
    );
    expect({ code: revoked.code, stderr: revoked.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(revoked.stdout)).toMatchObject({
      id,
      status: 'revoked',
      revoked_by: 'cli',
      revocation_reason: reason,
    });
    expect(revoked.stdout).not.toContain(secret.slice(3));
    const me = await t
      .http()
      .get('/api/v1/me')
      .set({ authorization: `Bearer ${secret}`, 'x-business-id': biz.id })
      .expect(401);
    expect(me.body.code).toBe('TOKEN_REVOKED');
  });
});

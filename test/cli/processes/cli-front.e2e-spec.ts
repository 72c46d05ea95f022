import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../harness/app-cluster';
import { cli, cliInProcess, CORE, HTTP, NEST, packagesLoaded } from '../../harness/app/cli';
import { mintSecret } from '../../../src/tokens/token-secret';

/**
 * The CLI before any database: its grammar, --help, usage errors and refused secrets, which the
 * front answers alone. In-process (cliInProcess) but where only a process shows it, spawned from
 * the build (cli): a secret that commander echoes, masked by main.ts; the exit code 2 of a usage
 * error; and which packages a run loads (packagesLoaded). The database commands are cli.e2e's.
 */
jest.setTimeout(240_000);

beforeAll(() => buildApp(), 240_000);

const TOP_LEVEL = [
  'bootstrap',
  'businesses',
  'tokens',
  'members',
  'policy',
  'keys',
  'audit',
  'dpop',
  'create-business',
  'create-token',
  'revoke',
];

/** A well-formed business (or token) id, for the commands that need one before they run. */
const BIZ = '00000000-0000-4000-8000-000000000000';

describe('CLI without a database', () => {
  let dir: string;
  // A database that would fail on any use: a SQLite file in a folder that does not exist, and
  // for `audit verify`, a PostgreSQL URL on which nothing listens.
  const noDb = () => ({ SQLITE_PATH: join(dir, 'absent', 'never.sqlite') });
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cli-nodb-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists every command once, on stdout alone, and opens no database', async () => {
    const help = await cliInProcess(['--help'], noDb());
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: cli \[options\] \[command\]/);
    const listed = [...help.stdout.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...TOP_LEVEL, 'help'].sort());
    expect(help.stdout).not.toContain('(outputHelp)');

    const tokens = await cliInProcess(['tokens', '--help'], noDb());
    expect(tokens).toMatchObject({ code: 0, stderr: '' });
    const subcommands = [...tokens.stdout.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]);
    expect(subcommands.sort()).toEqual([
      'create',
      'disable',
      'enable',
      'import',
      'list',
      'revoke',
      'rotate',
      'show',
      'update',
    ]);
    const policy = await cliInProcess(['policy', '--help'], noDb());
    expect(policy).toMatchObject({ code: 0, stderr: '' });
    const policyCommands = [...policy.stdout.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]);
    expect(policyCommands.sort()).toEqual(['set', 'show', 'violations']);
    const dpop = await cliInProcess(['dpop', '--help'], noDb());
    expect(dpop).toMatchObject({ code: 0, stderr: '' });
    const dpopCommands = [...dpop.stdout.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]);
    expect(dpopCommands.sort()).toEqual(['keygen', 'proof']);
    expect(existsSync(join(dir, 'absent'))).toBe(false);
  });

  it.each([
    [['frobnicate'], "error: unknown command 'frobnicate'"],
    [['tokens', 'frobnicate'], "error: unknown command 'frobnicate' for 'tokens'"],
    // Token requests are decided by people in the business, never by the operator's shell: the
    // CLI has no way to approve one, so no requester can approve their own through it.
    [['token-requests', 'approve'], "error: unknown command 'token-requests'"],
    [['tokens', 'approve'], "error: unknown command 'approve' for 'tokens'"],
  ])('names an unknown command once, on stderr, and exits 1: %j', async (args, message) => {
    const failed = await cliInProcess(args, noDb());
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr.split(message)).toHaveLength(2);
  });

  it('a group with no subcommand shows its help on stderr and exits 1', async () => {
    const failed = await cliInProcess(['members'], noDb());
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect(failed.stderr).toContain('add [options]');
  });

  it('refuses a secret in argv before it opens anything, and does not repeat it', async () => {
    const secret = `lk_${'a'.repeat(36)}`;
    for (const args of [
      ['revoke', '--token', secret],
      ['tokens', 'revoke', secret],
      ['tokens', 'show', secret],
      ['tokens', 'rotate', secret],
      ['tokens', 'update', secret, '--business', BIZ, '--name', 'x'],
      ['tokens', 'disable', secret, '--business', BIZ],
      ['tokens', 'enable', secret, '--business', BIZ],
    ]) {
      const refused = await cliInProcess(args, noDb());
      expect({ args, code: refused.code, stdout: refused.stdout }).toEqual({
        args,
        code: 2,
        stdout: '',
      });
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toContain('--token-file');
      expect(refused.stderr).toContain('stdin');
      expect(refused.stderr).not.toContain(secret);
    }
    expect(existsSync(join(dir, 'absent'))).toBe(false);
  });

  it.each([
    ['in-process', cliInProcess],
    ['a process', cli],
  ])('masks a secret that commander echoes in an unknown option (%s)', async (_how, run) => {
    const secret = mintSecret('lk').secret;
    const failed = await run(['tokens', 'list', `--tokn=${secret}`], noDb());
    expect({ code: failed.code, stdout: failed.stdout }).toEqual({ code: 1, stdout: '' });
    expect(failed.stderr).toContain("error: unknown option '--tokn=[REDACTED]'");
    expect(failed.stderr).not.toContain(secret.slice(3));
    expect(existsSync(join(dir, 'absent'))).toBe(false);
  });

  it('--help, a usage error and a secret on argv load no Nest, and audit loads no core', async () => {
    const secret = mintSecret('lk').secret;
    for (const [args, code] of [
      [['--help'], 0],
      [['tokens', 'list', '--bogus'], 1],
      [['tokens', 'show', secret], 2],
      [['policy', 'set', '--business', BIZ, '--bogus'], 1],
      [['tokens', 'update', BIZ, '--business', BIZ, '--meta', '{bad'], 1],
      [['tokens', 'disable', secret, '--business', BIZ], 2],
    ] as const) {
      const { run, packages } = await packagesLoaded(dir, [...args], noDb());
      expect({ args, code: run.code, nest: packages.filter((p) => NEST.includes(p)) }).toEqual({
        args,
        code,
        nest: [],
      });
      expect(packages).toContain('commander');
    }
    const keygen = await packagesLoaded(dir, ['audit', 'keygen'], noDb());
    expect(keygen.run.code).toBe(0);
    expect(keygen.packages).toContain('nest-commander');
    expect(keygen.packages.filter((p) => CORE.includes(p) || HTTP.includes(p))).toEqual([]);
    expect(existsSync(join(dir, 'absent'))).toBe(false);
  });

  it('audit verify on a file that is not there: a usage error, exit 2', async () => {
    const failed = await cli(['audit', 'verify', '--file', join(dir, 'none.ndjson')], noDb());
    expect(failed).toMatchObject({ code: 2, stdout: '' });
    expect(failed.stderr).toContain('ENOENT');
  });
});

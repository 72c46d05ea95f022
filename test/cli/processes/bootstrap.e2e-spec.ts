import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../harness/app-cluster';
import { cli, cliInProcess, ok } from '../../harness/app/cli';
import { bootTestApp, createTestDatabase, TestDatabase } from '../../harness/app/test-app';
import { DRIVERS } from '../../setup/servers';

// 'CLI usage' and `CLI bootstrap prints only a working platform token` run the built CLI as a
// process (cli): the exit codes of a real process, stdin through a real pipe, and a start
// against a real database on each driver. The other CLI cases run in-process (cliInProcess, ok).

beforeAll(() => buildApp(), 240_000);

describe('CLI usage', () => {
  const file = join(tmpdir(), `cli-usage-${process.pid}.sqlite`);
  const sqlite = () => ({ SQLITE_PATH: file });
  afterAll(() => rmSync(file, { force: true }));

  it('revoke reads the secret from stdin, so it stays out of shell history and ps', async () => {
    const created = await cli(
      ['create-business', '--name', 'Piped Co', '--owner-email', `piped-${process.pid}@shell.test`],
      sqlite(),
    );
    expect(created.code).toBe(0);
    const secret = JSON.parse(created.stdout).first_token.token as string;
    const revoked = await cli(['revoke', '--reason', 'piped'], sqlite(), `${secret}\n`);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({
      status: 'revoked',
      revocation_reason: 'piped',
    });
    const again = await cli(['revoke', '--token', '-'], sqlite(), secret);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already revoked');
    const empty = await cli(['revoke'], sqlite(), '');
    expect(empty.code).toBe(1);
    expect(empty.stdout).toBe('');
  });

  it('prints its help once, on stdout, and exits 0', async () => {
    const { code, stdout, stderr } = await cli(['--help'], sqlite());
    expect(code).toBe(0);
    expect(stdout).toContain('Usage:');
    expect(stdout).toContain('revoke');
    expect(stdout + stderr).not.toContain('(outputHelp)');
  });

  it('names an unknown command once, on stderr, and exits 1', async () => {
    const failed = await cli(['frobnicate'], sqlite());
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr.match(/unknown command 'frobnicate'/g)).toHaveLength(1);
  });
});

describe.each(DRIVERS)('bootstrap on %s', (driver) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase(driver);
  });
  afterEach(() => db.drop());

  it('creates the platform admin on the first start only', async () => {
    const first = await bootTestApp(driver, { BOOTSTRAP_ADMIN_EMAIL: 'root@example.test' }, db);
    expect(first.bootstrapToken).toMatch(/^lk_[0-9A-Za-z]{36}$/);
    await first
      .http()
      .get('/platform/v1/admins')
      .set('authorization', `Bearer ${first.bootstrapToken}`)
      .expect(200)
      .expect((res) =>
        expect(res.body.data.items.map((a: { email: string }) => a.email)).toEqual([
          'root@example.test',
        ]),
      );
    await first.close({ keepDatabase: true });

    const second = await bootTestApp(driver, {}, db);
    expect(second.bootstrapToken).toBeNull();
    // The first token still works after a restart.
    await second
      .http()
      .get('/platform/v1/businesses')
      .set('authorization', `Bearer ${first.bootstrapToken}`)
      .expect(200);
    await second.close({ keepDatabase: true });
  });

  it('CLI bootstrap prints only a working platform token on stdout', async () => {
    const { code, stdout } = await cli(['bootstrap', '--email', 'ops@example.test'], db.env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^lk_[0-9A-Za-z]{36}\n$/);
    const token = stdout.trim();

    const app = await bootTestApp(driver, {}, db);
    // The CLI made the first admin, so the server has nothing to bootstrap.
    expect(app.bootstrapToken).toBeNull();
    await app
      .http()
      .get('/platform/v1/businesses')
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    await app.close({ keepDatabase: true });
  });

  it('CLI bootstrap refuses a bad email on stderr with a non-zero exit', async () => {
    expect(await cliInProcess(['bootstrap', '--email', 'not-an-email'], db.env)).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringContaining('email'),
    });
  });

  it('CLI create-business, create-token and revoke work from a shell', async () => {
    const created = await ok(
      ['create-business', '--name', 'Shell Co', '--owner-email', 'owner@shell.test'],
      db.env,
    );
    const businessId = JSON.parse(created).business.id as string;
    const stdout = await ok(
      [
        'create-token',
        '--business',
        businessId,
        '--email',
        'owner@shell.test',
        '--name',
        'cli',
        '--scopes',
        'deploy:*',
      ],
      db.env,
    );
    expect(stdout).toMatch(/^lk_[0-9A-Za-z]{36}\n$/);
    const token = stdout.trim();

    const app = await bootTestApp(driver, {}, db);
    const me = await app
      .http()
      .get('/api/v1/me')
      .set({ authorization: `Bearer ${token}`, 'x-business-id': businessId })
      .expect(200);
    expect(me.body.data.token.scopes).toEqual(['deploy:*']);

    // The secret on stdin: the CLI refuses it in argv.
    const revoked = await ok(['revoke', '--reason', 'from the shell'], db.env, token);
    expect(JSON.parse(revoked)).toMatchObject({
      status: 'revoked',
      revoked_by: 'cli',
      revocation_reason: 'from the shell',
    });
    // Every CLI write left its audit event, marked as the operator's, and the chains still hold.
    const events = await app.sql<{ action: string; actor_label: string }>(
      "SELECT action, actor_label FROM audit_events WHERE origin = 'cli' ORDER BY occurred_at, seq",
    );
    expect(events.map((e) => e.action).sort()).toEqual(
      [
        'business.created',
        'identity.created',
        'member.added',
        'token.created', // the owner's first token
        'token.created', // create-token
        'token.revoked',
      ].sort(),
    );
    expect(new Set(events.map((e) => e.actor_label))).toEqual(new Set(['cli']));
    const ownerToken = JSON.parse(created).first_token.token as string;
    const verify = await app
      .http()
      .get('/api/v1/audit-events/verify')
      .set({ authorization: `Bearer ${ownerToken}`, 'x-business-id': businessId })
      .expect(200);
    expect(verify.body.data).toMatchObject({ valid: true, first_invalid_seq: null });
    const after = await app
      .http()
      .get('/api/v1/me')
      .set({ authorization: `Bearer ${token}`, 'x-business-id': businessId })
      .expect(401);
    expect(after.body.code).toBe('TOKEN_REVOKED');
    await app.close({ keepDatabase: true });
  });

  it('CLI create-token refuses someone who is not a member', async () => {
    const created = await ok(
      ['create-business', '--name', 'Shell Co', '--owner-email', 'owner@shell.test'],
      db.env,
    );
    const businessId = JSON.parse(created).business.id as string;
    expect(
      await cliInProcess(
        ['create-token', '--business', businessId, '--email', 'stranger@shell.test', '--name', 'x'],
        db.env,
      ),
    ).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringContaining('not a member'),
    });
  });
});

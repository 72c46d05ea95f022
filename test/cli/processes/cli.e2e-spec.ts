import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigner } from '../../../src/audit/checkpoints/signed-note';
import { buildApp } from '../../harness/app-cluster';
import { cli, cliInProcess, HTTP, ok, packagesLoaded } from '../../harness/app/cli';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { DRIVERS } from '../../setup/servers';

const SECRET = /^lk_[0-9A-Za-z]{36}$/;

const json = <T = Record<string, unknown>>(text: string) => JSON.parse(text) as T;

interface TokenView {
  id: string;
  status: string;
  business_id: string | null;
  identity_id: string;
  revoked_by: string | null;
  revocation_reason: string | null;
  rotated_from_id: string | null;
}

// The CLI's commands on a database; its grammar, help and refusals are cli-front.e2e-spec.ts's.
// The CLI runs in-process (cliInProcess, ok) but where only a process shows it, spawned from the
// build (cli): `audit verify`'s exit code 1 for a broken export or one with no checkpoint under
// --key, which it sets without failing, and which packages a run loads (packagesLoaded).
jest.setTimeout(240_000);

beforeAll(() => buildApp(), 240_000);

describe.each(DRIVERS)('CLI on %s', (driver) => {
  let t: TestApp;
  let env: Record<string, string>;
  let dir: string;
  beforeEach(async () => {
    t = await bootTestApp(driver);
    env = t.db.env;
    dir = mkdtempSync(join(tmpdir(), 'cli-e2e-'));
  });
  afterEach(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const asToken = (token: string, businessId: string) => ({
    authorization: `Bearer ${token}`,
    'x-business-id': businessId,
  });

  /** The events the CLI wrote since `after`, oldest first, as (action, target id). */
  async function cliEventsSince(after: number) {
    const rows = await t.sql<{ action: string; target_id: string; actor_label: string }>(
      "SELECT action, target_id, actor_label FROM audit_events WHERE origin = 'cli' ORDER BY occurred_at, id",
    );
    expect(new Set(rows.map((r) => r.actor_label))).toEqual(new Set(['cli']));
    return rows.slice(after).map((r) => [r.action, r.target_id]);
  }
  const cliEventCount = async () =>
    (await t.sql("SELECT id FROM audit_events WHERE origin = 'cli'")).length;

  /** Both chains the CLI wrote to still verify on the server. */
  async function expectChainsValid(ownerToken: string, businessId: string) {
    const business = await t
      .http()
      .get('/api/v1/audit-events/verify')
      .set(asToken(ownerToken, businessId))
      .expect(200);
    expect(business.body.data).toMatchObject({ valid: true, first_invalid_seq: null });
    const platform = await t
      .http()
      .get('/platform/v1/audit-events/verify')
      .set('authorization', `Bearer ${t.platformToken}`)
      .expect(200);
    expect(platform.body.data).toMatchObject({ valid: true, first_invalid_seq: null });
  }

  async function createBusiness(command: string[] = ['businesses', 'create']) {
    const created = json<{ business: { id: string }; first_token: { token: string } }>(
      await ok([...command, '--name', 'Shell Co', '--owner-email', 'owner@shell.test'], env),
    );
    return { businessId: created.business.id, ownerToken: created.first_token.token };
  }

  it('members add prints the membership with a first token that works, audited as cli', async () => {
    const { businessId, ownerToken } = await createBusiness();
    const before = await cliEventCount();
    const added = json<{
      member: { identity_id: string; email: string; role: string };
      first_token: TokenView & { token: string };
    }>(
      await ok(
        [
          'members',
          'add',
          '--business',
          businessId,
          '--email',
          'dev@shell.test',
          '--role',
          'admin',
        ],
        env,
      ),
    );
    expect(added.member).toMatchObject({ email: 'dev@shell.test', role: 'admin' });
    expect(added.first_token.token).toMatch(SECRET);
    expect(added.first_token).toMatchObject({
      business_id: businessId,
      identity_id: added.member.identity_id,
      status: 'active',
    });
    const me = await t
      .http()
      .get('/api/v1/me')
      .set(asToken(added.first_token.token, businessId))
      .expect(200);
    expect(me.body.data.role).toBe('admin');
    expect(await cliEventsSince(before)).toEqual(
      expect.arrayContaining([
        ['identity.created', added.member.identity_id],
        ['member.added', added.member.identity_id],
        ['token.created', added.first_token.id],
      ]),
    );
    await expectChainsValid(ownerToken, businessId);

    // The operator adds admins and members; an owner is added by an owner.
    const owner = await cliInProcess(
      ['members', 'add', '--business', businessId, '--email', 'x@shell.test', '--role', 'owner'],
      env,
    );
    expect(owner).toMatchObject({ code: 1, stdout: '' });
    expect(owner.stderr).toContain('INSUFFICIENT_ROLE');
    const nowhere = await cliInProcess(
      [
        'members',
        'add',
        '--business',
        '00000000-0000-4000-8000-000000000000',
        '--email',
        'y@shell.test',
      ],
      env,
    );
    expect(nowhere).toMatchObject({ code: 1, stdout: '' });
    expect(nowhere.stderr).toContain('BUSINESS_NOT_FOUND');
  });

  it('a database command loads the core, and nothing of the HTTP app', async () => {
    const { run, packages } = await packagesLoaded(dir, ['tokens', 'list', '--limit', '1'], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(packages).toEqual(expect.arrayContaining(['@nestjs/core', 'typeorm']));
    expect(packages.filter((p) => HTTP.includes(p))).toEqual([]);
  });

  it('tokens create, list and show, with the old create-token name, never show a secret', async () => {
    const { businessId } = await createBusiness(['create-business']);
    const created = (
      await ok(
        [
          'tokens',
          'create',
          '--business',
          businessId,
          '--email',
          'owner@shell.test',
          '--name',
          'ci',
          '--scopes',
          'deploy:*',
        ],
        env,
      )
    ).trim();
    const aliased = (
      await ok(
        ['create-token', '--business', businessId, '--email', 'owner@shell.test', '--name', 'cd'],
        env,
      )
    ).trim();
    expect([created, aliased]).toEqual([
      expect.stringMatching(SECRET),
      expect.stringMatching(SECRET),
    ]);

    const listed = await ok(['tokens', 'list', '--business', businessId], env);
    const page = json<{ items: (TokenView & { name: string })[]; next_cursor: string | null }>(
      listed,
    );
    expect(page.items.map((i) => i.name).sort()).toEqual(['cd', 'ci', 'first-token']);
    expect(page.next_cursor).toBeNull();
    for (const secret of [created, aliased]) expect(listed).not.toContain(secret);
    expect(listed).not.toMatch(/token_hash|"token"/);

    // Pages: --limit and --cursor walk the same list.
    const first = json<{ items: TokenView[]; next_cursor: string }>(
      await ok(['tokens', 'list', '--business', businessId, '--limit', '2'], env),
    );
    const second = json<{ items: TokenView[]; next_cursor: null }>(
      await ok(
        ['tokens', 'list', '--business', businessId, '--limit', '2', '--cursor', first.next_cursor],
        env,
      ),
    );
    expect([...first.items, ...second.items].map((i) => i.id)).toEqual(page.items.map((i) => i.id));
    expect(second.next_cursor).toBeNull();

    // Without --business: every business and the platform tokens, as GET /platform/v1/tokens.
    const all = json<{ items: TokenView[] }>(await ok(['tokens', 'list', '--limit', '200'], env));
    expect(all.items.map((i) => i.business_id)).toEqual(expect.arrayContaining([null, businessId]));
    const revoked = json<{ items: TokenView[] }>(
      await ok(['tokens', 'list', '--status', 'revoked'], env),
    );
    expect(revoked.items).toEqual([]);

    const ci = page.items.find((i) => i.name === 'ci')!;
    const shown = await ok(['tokens', 'show', ci.id], env);
    expect(json(shown)).toEqual(ci);
    expect(shown).not.toContain(created);

    const bad = await cliInProcess(['tokens', 'list', '--status', 'lost', '--limit', '0'], env);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toMatch(/^ {2}status: /m);
    expect(bad.stderr).toMatch(/^ {2}limit: /m);
    const unknown = await cliInProcess(
      ['tokens', 'show', '00000000-0000-4000-8000-000000000000'],
      env,
    );
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('TOKEN_NOT_FOUND');
  });

  it('tokens create and rotate set, keep and free a token’s networks and limit', async () => {
    const { businessId } = await createBusiness();
    const owner = ['--business', businessId, '--email', 'owner@shell.test'];
    const limits = [
      '--allowed-cidrs',
      '10.0.0.0/8, 2001:db8::/32',
      '--rate-limit-per-minute',
      '30',
    ];
    await ok(['tokens', 'create', ...owner, '--name', 'bound', ...limits], env);
    const viewOf = async (name: string) => {
      const page = json<{ items: (TokenView & { name: string })[] }>(
        await ok(['tokens', 'list', '--business', businessId, '--name', name], env),
      );
      return page.items;
    };
    const [bound] = await viewOf('bound');
    expect(bound).toMatchObject({
      allowed_cidrs: ['10.0.0.0/8', '2001:db8::/32'],
      rate_limit_per_minute: 30,
    });
    await ok(['tokens', 'rotate', bound.id], env);
    const kept = (await viewOf('bound')).find((t) => t.rotated_from_id === bound.id)!;
    expect(kept).toMatchObject({ allowed_cidrs: ['10.0.0.0/8', '2001:db8::/32'] });
    await ok(
      ['tokens', 'rotate', kept.id, '--allowed-cidrs', 'any', '--rate-limit-per-minute', 'none'],
      env,
    );
    const freed = (await viewOf('bound')).find((t) => t.rotated_from_id === kept.id)!;
    expect(freed).toMatchObject({ allowed_cidrs: null, rate_limit_per_minute: null });

    const bad = await cliInProcess(
      [
        'tokens',
        'create',
        ...owner,
        '--name',
        'bad',
        '--allowed-cidrs',
        '10.0.0.0/33',
        '--rate-limit-per-minute',
        'lots',
      ],
      env,
    );
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toMatch(/^ {2}allowed_cidrs/m);
    expect(bad.stderr).toMatch(/^ {2}rate_limit_per_minute/m);
  });

  it('tokens create sets uses_limit and refill, and refuses bad ones', async () => {
    const { businessId } = await createBusiness();
    const owner = ['--business', businessId, '--email', 'owner@shell.test'];
    await ok(
      [
        'tokens',
        'create',
        ...owner,
        '--name',
        'metered',
        '--uses-limit',
        '50',
        '--refill',
        'daily:20',
      ],
      env,
    );
    const page = json<{ items: (TokenView & { name: string })[] }>(
      await ok(['tokens', 'list', '--business', businessId, '--name', 'metered'], env),
    );
    expect(page.items[0]).toMatchObject({
      uses_limit: 50,
      uses_remaining: 50,
      refill: { interval: 'daily', amount: 20 },
    });
    const bad = await cliInProcess(
      ['tokens', 'create', ...owner, '--name', 'bad', '--uses-limit', '0', '--refill', 'weekly:x'],
      env,
    );
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toMatch(/^ {2}uses_limit/m);
    expect(bad.stderr).toMatch(/^ {2}refill: interval/m);
  });

  it('refuses a token’s own limit above RATE_LIMIT_IDENTITY_PER_MINUTE, at create and rotate, changing nothing', async () => {
    const { businessId } = await createBusiness();
    const limited = { ...env, RATE_LIMIT_IDENTITY_PER_MINUTE: '20' };
    const owner = ['--business', businessId, '--email', 'owner@shell.test'];
    const above = ['--rate-limit-per-minute', '21'];
    const made = await cliInProcess(
      ['tokens', 'create', ...owner, '--name', 'above', ...above],
      limited,
    );
    expect(made).toMatchObject({ code: 1, stdout: '' });
    expect(made.stderr).toMatch(/^ {2}rate_limit_per_minute: .*at most 20/m);
    await ok(['tokens', 'create', ...owner, '--name', 'under'], limited);
    const list = async () =>
      json<{ items: (TokenView & { name: string })[] }>(
        await ok(['tokens', 'list', '--business', businessId], limited),
      ).items;
    const [under] = await list();
    expect((await list()).map((v) => v.name)).not.toContain('above');
    const rotated = await cliInProcess(['tokens', 'rotate', under.id, ...above], limited);
    expect(rotated).toMatchObject({ code: 1, stdout: '' });
    expect(rotated.stderr).toMatch(/^ {2}rate_limit_per_minute: .*at most 20/m);
    expect((await list()).filter((v) => v.rotated_from_id === under.id)).toEqual([]);
  });

  it('tokens rotate prints the new secret alone; the old one is revoked, audited as cli', async () => {
    const { businessId, ownerToken } = await createBusiness();
    const old = (
      await ok(
        [
          'tokens',
          'create',
          '--business',
          businessId,
          '--email',
          'owner@shell.test',
          '--name',
          'ci',
          '--scopes',
          'deploy:*',
        ],
        env,
      )
    ).trim();
    const oldView = await t.http().get('/api/v1/me').set(asToken(old, businessId)).expect(200);
    const oldId = oldView.body.data.token.id as string;
    const before = await cliEventCount();

    const rotated = await ok(['tokens', 'rotate', oldId], env);
    expect(rotated).toMatch(/^lk_[0-9A-Za-z]{36}\n$/);
    const secret = rotated.trim();
    const me = await t.http().get('/api/v1/me').set(asToken(secret, businessId)).expect(200);
    expect(me.body.data.token).toMatchObject({
      name: 'ci',
      scopes: ['deploy:*'],
      rotated_from_id: oldId,
    });
    const refused = await t.http().get('/api/v1/me').set(asToken(old, businessId)).expect(401);
    expect(refused.body.code).toBe('TOKEN_REVOKED');
    expect(json<TokenView>(await ok(['tokens', 'show', oldId], env))).toMatchObject({
      status: 'revoked',
      revocation_reason: 'rotated',
      revoked_by: 'cli',
    });
    const newId = me.body.data.token.id as string;
    expect(await cliEventsSince(before)).toEqual(
      expect.arrayContaining([
        ['token.created', newId],
        ['token.revoked', oldId],
        ['token.rotated', oldId],
      ]),
    );

    // A token has one successor; a grace period keeps the old one working.
    const again = await cliInProcess(['tokens', 'rotate', oldId], env);
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toContain('TOKEN_ALREADY_ROTATED');
    const graced = (
      await ok(['tokens', 'rotate', newId, '--grace-period-seconds', '300'], env)
    ).trim();
    expect(graced).toMatch(SECRET);
    await t.http().get('/api/v1/me').set(asToken(secret, businessId)).expect(200);
    // Platform tokens are not rotated (bootstrap makes a new one).
    const platformId = (
      await t.http().get('/platform/v1/tokens').set('authorization', `Bearer ${t.platformToken}`)
    ).body.data.items.find((i: TokenView) => i.business_id === null).id as string;
    expect(await cliInProcess(['tokens', 'rotate', platformId], env)).toMatchObject({
      code: 1,
      stdout: '',
    });
    await expectChainsValid(ownerToken, businessId);
  });

  it('tokens revoke by id, by value on stdin and in --token-file; the old revoke by stdin', async () => {
    const { businessId, ownerToken } = await createBusiness();
    const make = async (name: string) =>
      (
        await ok(
          [
            'tokens',
            'create',
            '--business',
            businessId,
            '--email',
            'owner@shell.test',
            '--name',
            name,
          ],
          env,
        )
      ).trim();
    const [byId, byStdin, byFile, byOldName, refusedOne] = [
      await make('by-id'),
      await make('by-stdin'),
      await make('by-file'),
      await make('by-old-name'),
      await make('refused'),
    ];
    const idOf = async (secret: string) =>
      (await t.http().get('/api/v1/me').set(asToken(secret, businessId)).expect(200)).body.data
        .token.id as string;
    const ids = {
      byId: await idOf(byId),
      byStdin: await idOf(byStdin),
      byFile: await idOf(byFile),
      byOldName: await idOf(byOldName),
      refused: await idOf(refusedOne),
    };
    const before = await cliEventCount();

    const revokedById = json<TokenView>(
      await ok(['tokens', 'revoke', ids.byId, '--reason', 'by id from the shell'], env),
    );
    expect(revokedById).toMatchObject({
      id: ids.byId,
      status: 'revoked',
      revoked_by: 'cli',
      revocation_reason: 'by id from the shell',
    });

    const piped = await ok(['tokens', 'revoke', '--reason', 'piped'], env, `${byStdin}\n`);
    expect(json(piped)).toMatchObject({
      id: ids.byStdin,
      status: 'revoked',
      revocation_reason: 'piped',
    });
    expect(piped).not.toContain(byStdin);

    const file = join(dir, 'token.txt');
    writeFileSync(file, `${byFile}\n`, { mode: 0o600 });
    expect(
      json(await ok(['tokens', 'revoke', '--token-file', file, '--reason', 'filed'], env)),
    ).toMatchObject({
      id: ids.byFile,
      status: 'revoked',
      revocation_reason: 'filed',
    });

    // The old name, by stdin, with and without `--token -`; repeating keeps the first revocation.
    expect(json(await ok(['revoke', '--reason', 'old name'], env, byOldName))).toMatchObject({
      id: ids.byOldName,
      status: 'revoked',
    });
    const repeat = await cliInProcess(
      ['revoke', '--token', '-', '--reason', 'again'],
      env,
      byOldName,
    );
    expect(repeat.code).toBe(0);
    expect(repeat.stderr).toContain('already revoked');
    expect(json(repeat.stdout)).toMatchObject({ revocation_reason: 'old name' });

    // The old `revoke --token <secret>` is refused, and revokes nothing.
    const refused = await cliInProcess(['revoke', '--token', refusedOne], env);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).not.toContain(refusedOne);
    await t.http().get('/api/v1/me').set(asToken(refusedOne, businessId)).expect(200);

    const empty = await cliInProcess(['tokens', 'revoke'], env, '');
    expect(empty).toMatchObject({ code: 1, stdout: '' });
    const unknown = await cliInProcess(['tokens', 'revoke'], env, `lk_${'b'.repeat(36)}\n`);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('INVALID_TOKEN');

    for (const secret of [byId, byStdin, byFile, byOldName]) {
      const res = await t.http().get('/api/v1/me').set(asToken(secret, businessId)).expect(401);
      expect(res.body.code).toBe('TOKEN_REVOKED');
    }
    const events = await cliEventsSince(before);
    expect(events.sort()).toEqual(
      [ids.byId, ids.byStdin, ids.byFile, ids.byOldName].map((id) => ['token.revoked', id]).sort(),
    );
    await expectChainsValid(ownerToken, businessId);
  });

  it('audit verify checks an export offline: valid as exported, broken where a line was edited', async () => {
    const { businessId, ownerToken } = await createBusiness();
    await ok(['members', 'add', '--business', businessId, '--email', 'dev@shell.test'], env);
    const exported = await t
      .http()
      .get('/api/v1/audit-events/export?format=ndjson')
      .set(asToken(ownerToken, businessId))
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => done(null, text));
      })
      .expect(200);
    const text = exported.body as string;
    const lines = text.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const good = join(dir, 'export.ndjson');
    writeFileSync(good, text);

    // No database: nothing listens on port 1, and the SQLite folder does not exist.
    const offline = {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      SQLITE_PATH: join(dir, 'absent', 'x.sqlite'),
    };
    const valid = await cliInProcess(['audit', 'verify', '--file', good], offline);
    expect(valid.code).toBe(0);
    expect(valid.stderr).toMatch(/^The file carries no checkpoint: its chain alone was checked/);
    expect(json(valid.stdout)).toEqual({
      valid: true,
      checked: lines.length,
      first_invalid_seq: null,
      checkpoint_checked: false,
      signed_through_seq: 0,
    });

    // With a key, a file with no checkpoint (none is signed in this suite) does not hold: a
    // script that checks the process's exit status sees it.
    const key = generateSigner('latchkey.test').verifierKey;
    const keyed = await cli(['audit', 'verify', '--file', good, '--key', key], offline);
    expect(keyed.code).toBe(1);
    expect(json(keyed.stdout)).toMatchObject({ valid: false, checkpoint_checked: false });
    expect(keyed.stderr).toContain('the file carries no checkpoint');

    const tampered = join(dir, 'tampered.ndjson');
    const edited = [...lines];
    const second = JSON.parse(lines[1]) as { target: { label: string | null } };
    second.target.label = 'eve@shell.test';
    edited[1] = JSON.stringify(second);
    writeFileSync(tampered, `${edited.join('\n')}\n`);
    const broken = await cli(['audit', 'verify', '--file', tampered], offline);
    expect(broken.code).toBe(1);
    expect(json(broken.stdout)).toEqual({
      valid: false,
      checked: 2,
      first_invalid_seq: 2,
      checkpoint_checked: false,
      signed_through_seq: 0,
    });
    expect(existsSync(join(dir, 'absent'))).toBe(false);
    expect(readFileSync(good, 'utf8')).toBe(text);
  });
});

import { randomUUID } from 'node:crypto';
import { asMember, asOwner, getToken, me } from '../harness/app/api';
import { cliInProcess, CliResult, ok } from '../harness/app/cli';
import { json, tokenRow } from './cli-policy';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { inDays } from '../harness/app/token-policy';
import { BusinessFixture, createBusiness, createToken } from '../factories/tenancy.factory';
import { DRIVERS } from '../setup/servers';

/**
 * What a business governs, from the CLI: `tokens disable|enable|update`, `tokens
 * create --meta` and `policy show|set|violations`, in-process on a live app's database. Each
 * change must be audited as its route's is (origin "cli", actor "cli"), a widening must be
 * refused with the code PATCH gives, bad input must be a usage error and never a stack trace,
 * and a token of another business must not be found. Which holders the operator may act on is
 * cli-policy.e2e-spec.ts's (the token policy's cli rows).
 */
jest.setTimeout(240_000);

/**
 * A narrowing-capable token: every field PATCH narrows has a value to widen from. Its expiry
 * stays within the owner's first token's 7 days, which caps it.
 */
const LIMITED = {
  name: 'governed',
  scopes: ['deploy:read', 'deploy:write'],
  expires_in_days: 5,
  allowed_cidrs: ['127.0.0.0/8'],
  rate_limit_per_minute: 100,
  uses_limit: 1000,
};

/** Each widening, field by field: the CLI's flag and value, and PATCH's body for the same. */
const WIDENINGS: [field: string, flag: string[], body: Record<string, unknown>][] = [
  ['scopes', ['--scopes', 'deploy:read,deploy:admin'], { scopes: ['deploy:read', 'deploy:admin'] }],
  ['expires_at', ['--expires-at', inDays(6)], { expires_at: inDays(6) }],
  ['allowed_cidrs', ['--allowed-cidrs', '127.0.0.0/7'], { allowed_cidrs: ['127.0.0.0/7'] }],
  ['allowed_cidrs', ['--allowed-cidrs', 'any'], { allowed_cidrs: null }],
  ['rate_limit_per_minute', ['--rate-limit-per-minute', '101'], { rate_limit_per_minute: 101 }],
  ['rate_limit_per_minute', ['--rate-limit-per-minute', 'none'], { rate_limit_per_minute: null }],
  ['uses_limit', ['--uses-limit', '1001'], { uses_limit: 1001 }],
];

const deep = (levels: number): unknown => (levels === 0 ? 'x' : { a: deep(levels - 1) });

/** Bad input: the args after `<command> <token id> --business <id>`, and what stderr says. */
const BAD_UPDATES: [what: string, args: string[], says: string][] = [
  ['malformed JSON meta', ['--meta', '{"plan":'], 'meta: must be a JSON object'],
  ['meta that is no object', ['--meta', '[1,2]'], '  meta: '],
  ['meta over 4 KiB', ['--meta', JSON.stringify({ k: 'x'.repeat(5000) })], '  meta: '],
  ['meta deeper than 4 levels', ['--meta', JSON.stringify(deep(6))], '  meta: '],
  ['a bad CIDR', ['--allowed-cidrs', '10.0.0.300/8'], '  allowed_cidrs: '],
  ['a negative uses limit', ['--uses-limit', '-5'], '  uses_limit: '],
  ['a negative rate limit', ['--rate-limit-per-minute', '-1'], '  rate_limit_per_minute: '],
  ['a word for a number', ['--uses-limit', 'lots'], '  uses_limit: '],
  ['an expiry that is no date', ['--expires-at', 'soon'], '  expires_at: '],
  ['an unknown flag', ['--bogus', '1'], "unknown option '--bogus'"],
  ['nothing to change', [], 'Give at least one field to change'],
];

const BAD_POLICY: [what: string, args: string[], says: string][] = [
  ['a negative lifetime', ['set', '--max-lifetime-days', '-1'], '  max_lifetime_days: '],
  [
    'a negative inactivity',
    ['set', '--inactivity-revoke-days', '-3'],
    '  inactivity_revoke_days: ',
  ],
  ['a bad required CIDR', ['set', '--required-cidrs', 'nowhere'], '  required_cidrs: '],
  ['a bad scope pattern', ['set', '--allowed-scopes', 'Deploy!'], '  allowed_scopes: '],
  ['an unknown binding rule', ['set', '--require-dpop', 'everyone'], '  require_dpop: '],
  [
    'a malformed approval rule',
    ['set', '--approval-required', '{"scopes":'],
    'approval_required: must be a JSON object',
  ],
  [
    'a negative approval lifetime',
    ['set', '--approval-required', '{"lifetime_days_over":-1}'],
    '  approval_required',
  ],
  ['a negative page size', ['violations', '--limit', '-1'], '  limit: '],
  ['an unknown flag', ['show', '--bogus'], "unknown option '--bogus'"],
];

/** A usage error or refusal: exit 1, nothing on stdout, `says` on stderr, and no stack trace. */
function expectFailed(run: CliResult, says: string): void {
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
  expect(run.stderr).toContain(says);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

describe.each(DRIVERS)('the CLI of what a business governs, on %s', (driver) => {
  let t: TestApp;
  let env: Record<string, string>;
  let biz: BusinessFixture;

  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    env = t.db.env;
    biz = await createBusiness(t);
  });
  afterAll(() => t?.close());

  const limitedToken = () => createToken(t, asOwner(biz), LIMITED);
  const run = (args: string[]) => cliInProcess(args, env);
  const inBiz = (command: string, id: string, ...rest: string[]) => [
    'tokens',
    command,
    id,
    '--business',
    biz.id,
    ...rest,
  ];

  /** The CLI's audit events of `action` on `targetId`: who wrote them, and their metadata. */
  async function cliEvents(action: string, targetId: string) {
    const rows = await t.sql<{ actor_label: string; actor_id: unknown; metadata: unknown }>(
      'SELECT actor_label, actor_id, metadata FROM audit_events ' +
        "WHERE origin = 'cli' AND action = ? AND target_id = ? ORDER BY seq",
      [action, targetId],
    );
    return rows.map((r) => ({
      actor: [r.actor_label, r.actor_id],
      metadata: (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata) as Record<
        string,
        unknown
      >,
    }));
  }

  it('disables a token, which the API then refuses, and enables it again; both audited', async () => {
    const token = await limitedToken();
    const disabled = json(await ok(inBiz('disable', token.id, '--reason', 'audit'), env));
    expect(disabled).toMatchObject({ id: token.id, disabled_by: 'cli', disabled_reason: 'audit' });
    const refused = await me(t, asMember(token.secret, biz.id));
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 401,
      code: 'TOKEN_DISABLED',
    });
    // Again: the first pause stands, said on stderr, and nothing more is audited.
    const again = await run(inBiz('disable', token.id, '--reason', 'later'));
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already disabled');
    expect(json(again.stdout)).toMatchObject({ disabled_reason: 'audit' });
    expect(await cliEvents('token.disabled', token.id)).toEqual([
      { actor: ['cli', null], metadata: expect.objectContaining({ reason: 'audit' }) },
    ]);

    expect(json(await ok(inBiz('enable', token.id), env))).toMatchObject({ disabled_at: null });
    expect((await me(t, asMember(token.secret, biz.id))).status).toBe(200);
    expect(await cliEvents('token.enabled', token.id)).toHaveLength(1);
  });

  it('narrows a token and sets its meta, audited with before and after as PATCH is', async () => {
    const token = await limitedToken();
    const expiry = inDays(3);
    const updated = json(
      await ok(
        inBiz(
          'update',
          token.id,
          ...['--scopes', 'deploy:read', '--expires-at', expiry],
          ...['--allowed-cidrs', '127.0.0.1/32', '--rate-limit-per-minute', '50'],
          ...['--uses-limit', '500', '--meta', '{"plan":"pro"}'],
        ),
        env,
      ),
    );
    const narrowed = {
      scopes: ['deploy:read'],
      expires_at: expiry,
      allowed_cidrs: ['127.0.0.1/32'],
      rate_limit_per_minute: 50,
      uses_limit: 500,
    };
    expect(updated).toMatchObject({ ...narrowed, meta: { plan: 'pro' }, uses_remaining: 500 });
    const viewed = await getToken(t, asOwner(biz), token.id);
    expect(viewed.body.data).toMatchObject({ ...narrowed, meta: { plan: 'pro' } });
    const [event] = await cliEvents('token.updated', token.id);
    expect(event.actor).toEqual(['cli', null]);
    expect(event.metadata).toMatchObject({
      before: { scopes: LIMITED.scopes, uses_limit: 1000, rate_limit_per_minute: 100 },
      after: { scopes: ['deploy:read'], uses_limit: 500, rate_limit_per_minute: 50 },
    });
    // Meta is named as changed, and never copied into the audit log.
    expect(event.metadata.changed).toContain('meta');
    expect(JSON.stringify(event.metadata)).not.toContain('pro');
  });

  it('gives a token with no limit its first uses limit, full, as PATCH does', async () => {
    const [viaCli, viaHttp] = [
      await createToken(t, asOwner(biz), { name: 'unlimited' }),
      await createToken(t, asOwner(biz), { name: 'unlimited' }),
    ];
    const cliView = json(await ok(inBiz('update', viaCli.id, '--uses-limit', '7'), env));
    const patched = await t
      .http()
      .patch(`/api/v1/tokens/${viaHttp.id}`)
      .set(asOwner(biz))
      .send({ uses_limit: 7 });
    expect(patched.status).toBe(200);
    for (const view of [cliView, patched.body.data]) {
      expect(view).toMatchObject({ uses_limit: 7, uses_remaining: 7 });
    }
    expect(await tokenRow(t, viaCli.id)).toMatchObject({ uses_limit: 7, uses_remaining: 7 });
  });

  it.each(WIDENINGS)(
    'refuses widening %s (%j) with the code PATCH gives',
    async (field, flag, body) => {
      const token = await limitedToken();
      const before = await tokenRow(t, token.id);
      const patched = await t
        .http()
        .patch(`/api/v1/tokens/${token.id}`)
        .set(asOwner(biz))
        .send(body);
      expect({ status: patched.status, code: patched.body.code }).toEqual({
        status: 403,
        code: 'WIDENING_NOT_ALLOWED',
      });
      expectFailed(await run(inBiz('update', token.id, ...flag)), '(WIDENING_NOT_ALLOWED)');
      expect((await run(inBiz('update', token.id, ...flag))).stderr).toContain(`  ${field}: `);
      expect(await tokenRow(t, token.id)).toEqual(before);
      expect(await cliEvents('token.updated', token.id)).toEqual([]);
    },
  );

  it.each(BAD_UPDATES)('tokens update: %s is a clear usage error', async (_what, args, says) => {
    const token = await limitedToken();
    const before = await tokenRow(t, token.id);
    expectFailed(await run(inBiz('update', token.id, ...args)), says);
    expect(await tokenRow(t, token.id)).toEqual(before);
  });

  it.each(BAD_POLICY)(
    'policy: %s is a clear usage error',
    async (_what, [command, ...args], says) => {
      expectFailed(await run(['policy', command, '--business', biz.id, ...args]), says);
    },
  );

  it('does not find a token of another business, nor change it', async () => {
    const other = await createBusiness(t);
    const theirs = await createToken(t, asOwner(other), LIMITED);
    const before = await tokenRow(t, theirs.id);
    for (const args of [
      inBiz('disable', theirs.id),
      inBiz('enable', theirs.id),
      inBiz('update', theirs.id, '--uses-limit', '1'),
      inBiz('update', randomUUID(), '--uses-limit', '1'),
    ]) {
      expectFailed(await run(args), 'Token not found (TOKEN_NOT_FOUND)');
    }
    expect(await tokenRow(t, theirs.id)).toEqual(before);
    expect((await me(t, asMember(theirs.secret, other.id))).status).toBe(200);
  });

  it('tokens create --meta: the meta comes back in the view', async () => {
    const secret = (
      await ok(
        ['tokens', 'create', '--business', biz.id, '--email', biz.ownerEmail, '--name', 'meta'],
        env,
      )
    ).trim();
    const withMeta = await ok(
      [
        ...['tokens', 'create', '--business', biz.id, '--email', biz.ownerEmail],
        ...['--name', 'meta', '--meta', '{"customer":"c-42","tier":{"level":2}}'],
      ],
      env,
    );
    const view = (await me(t, asMember(withMeta.trim(), biz.id))).body.data.token;
    expect(view.meta).toEqual({ customer: 'c-42', tier: { level: 2 } });
    expect((await me(t, asMember(secret, biz.id))).body.data.token.meta).toBeNull();
  });

  it('sets the policy as PUT does (audited), shows it, lists breakers and enforces it on tokens create', async () => {
    const own = await createBusiness(t);
    const breaker = await createToken(t, asOwner(own), { name: 'breaker' });
    const policyArgs = (command: string, ...rest: string[]) => [
      'policy',
      command,
      '--business',
      own.id,
      ...rest,
    ];
    const set = json(
      await ok(
        policyArgs(
          'set',
          ...['--max-lifetime-days', '30', '--require-expiry', '--allowed-scopes', 'deploy:*'],
          ...['--required-cidrs', '10.0.0.0/8', '--inactivity-revoke-days', '90'],
          ...['--require-dpop', 'machines'],
          ...['--approval-required', '{"machine_tokens":true}'],
        ),
        env,
      ),
    );
    const rules = {
      max_lifetime_days: 30,
      require_expiry: true,
      allowed_scopes: ['deploy:*'],
      required_cidrs: ['10.0.0.0/8'],
      inactivity_revoke_days: 90,
      require_dpop: 'machines',
    };
    expect(set).toMatchObject({ ...rules, updated_by: 'cli' });
    expect(set.approval_required).toMatchObject({ machine_tokens: true });
    expect(json(await ok(policyArgs('show'), env))).toEqual(set);
    const [event] = await cliEvents('token_policy.updated', own.id);
    expect(event).toEqual({
      actor: ['cli', null],
      metadata: { before: null, after: { ...rules, approval_required: set.approval_required } },
    });

    const page = json<{ items: { id: string; violations: { rule: string }[] }[] }>(
      await ok(policyArgs('violations', '--limit', '200'), env),
    );
    expect(page.items.map((i) => i.id)).toContain(breaker.id);

    const create = (...rest: string[]) => [
      ...['tokens', 'create', '--business', own.id, '--email', own.ownerEmail, '--name', 'p'],
      ...rest,
    ];
    const refused = await run(create('--scopes', 'admin:all'));
    expectFailed(refused, '(POLICY_VIOLATION)');
    expect(refused.stderr).toContain('  scopes: allowed_scopes');
    expect(refused.stderr).toContain('require_expiry');
    const allowed = create(
      ...['--scopes', 'deploy:read', '--expires-in-days', '7', '--allowed-cidrs', '10.2.0.0/16'],
    );
    expect((await ok(allowed, env)).trim()).toMatch(/^lk_/);

    // Replaced whole, as PUT does: a rule not given is no rule.
    expect(json(await ok(policyArgs('set', '--max-lifetime-days', '10'), env))).toMatchObject({
      max_lifetime_days: 10,
      require_expiry: false,
      allowed_scopes: null,
      required_cidrs: null,
    });
    expect(await cliEvents('token_policy.updated', own.id)).toHaveLength(2);
  });

  it('policy of a business that does not exist is BUSINESS_NOT_FOUND', async () => {
    for (const command of ['show', 'set', 'violations']) {
      const failed = await run(['policy', command, '--business', randomUUID()]);
      expectFailed(failed, '(BUSINESS_NOT_FOUND)');
    }
  });
});

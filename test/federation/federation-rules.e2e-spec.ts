import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { TrustRulesRepository } from '../../src/federation/store/trust-rules.repository';
import {
  TRUST_RULE_ACTIONS,
  TRUST_RULE_POLICY,
  TrustRuleAction,
} from '../../src/federation/rules/trust-rule-policy';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
} from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, Caller, listAuditEvents } from '../harness/app/api';
import { expectError, sleep } from '../harness/app/assertions';
import {
  deleteRule,
  federatedToken,
  githubRule,
  listRules,
  postRule,
  rulesPath,
} from './federation-fixtures';
import { GITHUB_ISSUER, IssuerKey, makeKey } from './oidc-issuer';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/** Who calls a trust-rule route, and what the table and the route's gate answer them. */
type CallerName =
  | 'owner'
  | 'admin'
  | 'admin-without-tokens-admin'
  | 'member'
  | 'platform'
  | 'retiring'
  | 'federated';
const CALLERS: CallerName[] = [
  'owner',
  'admin',
  'admin-without-tokens-admin',
  'member',
  'platform',
  'retiring',
  'federated',
];

/** The answer the policy gives, from TRUST_RULE_POLICY and the routes' role and scope gate. */
function expected(caller: CallerName, action: TrustRuleAction): [number, string | null] {
  const rule = TRUST_RULE_POLICY[action];
  if (caller === 'retiring' && rule.closedToRetiring) return [403, 'TOKEN_RETIRING'];
  if (caller === 'member') return [403, 'INSUFFICIENT_ROLE'];
  if (caller === 'admin-without-tokens-admin') return [403, 'INSUFFICIENT_SCOPE'];
  if (caller === 'federated' && rule.closedToFederated) return [403, 'TOKEN_FEDERATED'];
  return [action === 'create' ? 201 : 200, null];
}

describe.each(DRIVERS)('trust rules on %s', (driver) => {
  let t: TestApp;
  let key: IssuerKey;
  beforeAll(async () => {
    t = await bootTestApp(driver, {
      FEDERATION_JWKS_ALLOW_PRIVATE: 'true',
      FEDERATION_JWKS_ALLOW_HTTP: 'true',
    });
    key = await makeKey('RS256');
  });
  afterAll(() => t?.close());

  it('creates, lists and deletes a rule, each audited, the keys never in the log', async () => {
    const b = await createBusiness(t);
    const machine = await createMachine(t, b, 'member');
    const body = githubRule(key);
    const created = await postRule(t, asOwner(b), machine.id, body).expect(201);
    const view = created.body.data;
    expect(view).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      identity_id: machine.id,
      issuer: GITHUB_ISSUER,
      jwks: body.jwks,
      jwks_uri: null,
      audience: 'https://github.com/acme',
      subject: 'repo:acme/api:ref:refs/heads/*',
      claims: { repository_owner: 'acme' },
      scopes: ['deploy:write'],
      max_ttl_seconds: 900,
      require_dpop: false,
      created_at: expect.any(String),
      created_by: b.ownerEmail,
    });
    const rows = await t.sql<{ business_id: string; identity_id: string }>(
      'SELECT business_id, identity_id FROM trust_rules WHERE id = ?',
      [view.id],
    );
    expect(rows).toEqual([{ business_id: b.id, identity_id: machine.id }]);

    const listed = await listRules(t, asOwner(b), machine.id).expect(200);
    expect(listed.body.data).toEqual({ items: [view], next_cursor: null });

    const deleted = await deleteRule(t, asOwner(b), machine.id, view.id).expect(200);
    expect(deleted.body.data).toEqual(view);
    expect((await listRules(t, asOwner(b), machine.id).expect(200)).body.data.items).toEqual([]);
    expectError(await deleteRule(t, asOwner(b), machine.id, view.id), 404, 'TRUST_RULE_NOT_FOUND');

    const events = await listAuditEvents(t, asOwner(b), {
      action: ['trust_rule.created', 'trust_rule.deleted'],
    }).expect(200);
    const items = events.body.data.items as {
      action: string;
      target: { type: string; id: string };
      metadata: Record<string, unknown>;
    }[];
    expect(items.map((e) => e.action).sort()).toEqual(['trust_rule.created', 'trust_rule.deleted']);
    for (const e of items) {
      expect(e.target).toMatchObject({ type: 'trust_rule', id: view.id });
      expect(e.metadata).toMatchObject({
        identity_id: machine.id,
        issuer: GITHUB_ISSUER,
        subject: view.subject,
        scopes: ['deploy:write'],
        jwks_uri: null,
      });
      expect(JSON.stringify(e)).not.toContain(String(key.publicJwk.n));
    }
  });

  describe('who may act (TRUST_RULE_POLICY, every cell)', () => {
    let b: BusinessFixture;
    let machineId: string;
    const callers = new Map<CallerName, Caller>();

    beforeAll(async () => {
      b = await createBusiness(t);
      machineId = (await createMachine(t, b, 'member')).id;
      const admin = await addMember(t, b, 'admin');
      const member = await addMember(t, b, 'member');
      const narrow = await createToken(t, asMember(admin.token, b.id), {
        scopes: ['members:read'],
      });
      const old = await createToken(t, asOwner(b), { name: 'to-retire' });
      await t
        .http()
        .post(`/api/v1/tokens/${old.id}/rotate`)
        .set(asMember(old.secret, b.id))
        .send({ grace_period_seconds: 86_400 })
        .expect(201);
      const federated = await federatedToken(t, b, key);
      callers.set('owner', asOwner(b));
      callers.set('admin', asMember(admin.token, b.id));
      callers.set('admin-without-tokens-admin', asMember(narrow.secret, b.id));
      callers.set('member', asMember(member.token, b.id));
      callers.set('platform', { ...asPlatform(t), 'x-business-id': b.id });
      callers.set('retiring', asMember(old.secret, b.id));
      callers.set('federated', asMember(federated.token, b.id));
    });

    const cases = TRUST_RULE_ACTIONS.flatMap((action) =>
      CALLERS.map((caller) => [action, caller] as const),
    );
    it.each(cases)('%s by %s', async (action, caller) => {
      const as = callers.get(caller)!;
      // A rule of the owner's for delete to name, so the answer is the caller's, not a 404.
      const rule = await postRule(t, asOwner(b), machineId, githubRule(key)).expect(201);
      const res =
        action === 'list'
          ? await listRules(t, as, machineId)
          : action === 'create'
            ? await postRule(t, as, machineId, githubRule(key))
            : await deleteRule(t, as, machineId, rule.body.data.id);
      const [status, code] = expected(caller, action);
      if (code) expectError(res, status, code);
      else expect({ status: res.status, body: res.body.success }).toEqual({ status, body: true });
      const [still] = await t.sql<{ n: number | string }>(
        'SELECT COUNT(*) AS n FROM trust_rules WHERE id = ?',
        [rule.body.data.id],
      );
      expect(Number(still.n)).toBe(action === 'delete' && code === null ? 0 : 1);
      await deleteRule(t, asOwner(b), machineId, rule.body.data.id);
    });
  });

  describe('what may not be seen is 404', () => {
    it.each([
      ['a person', async (b: BusinessFixture) => (await addMember(t, b, 'admin')).identityId],
      ['the owner', (b: BusinessFixture) => Promise.resolve(b.ownerId)],
      [
        "another business's machine",
        async () => (await createMachine(t, await createBusiness(t))).id,
      ],
      ['nobody', () => Promise.resolve(randomUUID())],
      [
        'a deleted machine',
        async (b: BusinessFixture) => {
          const m = await createMachine(t, b);
          await t.http().delete(`/api/v1/machine-identities/${m.id}`).set(asOwner(b)).expect(200);
          return m.id;
        },
      ],
    ])('an identity id naming %s: 404 on every route', async (_, idOf) => {
      const b = await createBusiness(t);
      const id = await idOf(b);
      expectError(await listRules(t, asOwner(b), id), 404, 'IDENTITY_NOT_FOUND');
      expectError(await postRule(t, asOwner(b), id, githubRule(key)), 404, 'IDENTITY_NOT_FOUND');
      expectError(await deleteRule(t, asOwner(b), id, randomUUID()), 404, 'IDENTITY_NOT_FOUND');
      const [n] = await t.sql<{ n: number | string }>(
        'SELECT COUNT(*) AS n FROM trust_rules WHERE identity_id = ?',
        [id],
      );
      expect(Number(n.n)).toBe(0);
    });

    it("a rule id of another machine, or of another business's machine, is 404", async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const m1 = await createMachine(t, a);
      const m2 = await createMachine(t, a);
      const foreign = await createMachine(t, other);
      const r1 = (await postRule(t, asOwner(a), m1.id, githubRule(key)).expect(201)).body.data;
      const rf = (await postRule(t, asOwner(other), foreign.id, githubRule(key)).expect(201)).body
        .data;
      expectError(await deleteRule(t, asOwner(a), m2.id, r1.id), 404, 'TRUST_RULE_NOT_FOUND');
      expectError(await deleteRule(t, asOwner(a), m1.id, rf.id), 404, 'TRUST_RULE_NOT_FOUND');
      const [n] = await t.sql<{ n: number | string }>(
        'SELECT COUNT(*) AS n FROM trust_rules WHERE id IN (?, ?)',
        [r1.id, rf.id],
      );
      expect(Number(n.n)).toBe(2);
    });
  });

  describe('what a rule may hold', () => {
    let b: BusinessFixture;
    let machineId: string;
    beforeAll(async () => {
      b = await createBusiness(t);
      machineId = (await createMachine(t, b, 'member')).id;
    });

    const privateKey = () => ({ jwks: { keys: [{ ...key.publicJwk, d: 'AAAA' }] } });
    it.each([
      [
        'an http issuer',
        { issuer: 'http://token.actions.githubusercontent.com' },
        ['body', 'issuer'],
      ],
      ['an issuer that is no URL', { issuer: 'github' }, ['body', 'issuer']],
      ['both jwks and jwks_uri', { jwks_uri: 'https://example.com/jwks' }, ['body', 'jwks']],
      ['neither jwks nor jwks_uri', { jwks: undefined }, ['body', 'jwks']],
      ['an empty key set', { jwks: { keys: [] } }, ['body', 'jwks', 'keys']],
      ['a private key', privateKey, ['body', 'jwks', 'keys', 0]],
      [
        'a symmetric key',
        { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0', alg: 'HS256' }] } },
        ['body', 'jwks', 'keys', 0],
      ],
      [
        'an HS256 key',
        () => ({ jwks: { keys: [{ ...key.publicJwk, alg: 'HS256' }] } }),
        ['body', 'jwks', 'keys', 0],
      ],
      ['a subject that starts with *', { subject: '*' }, ['body', 'subject']],
      ['a reserved claim', { claims: { sub: 'x' } }, ['body', 'claims', 'sub']],
      ['a claim that is not text', { claims: { run_id: 7 } }, ['body', 'claims', 'run_id']],
      ['no scopes', { scopes: [] }, ['body', 'scopes']],
      ['a malformed scope', { scopes: ['Deploy Write'] }, ['body', 'scopes']],
      ['a TTL over an hour', { max_ttl_seconds: 3601 }, ['body', 'max_ttl_seconds']],
      ['an admin scope for a member machine', { scopes: ['tokens:admin'] }, ['body', 'scopes']],
    ])('refuses %s with 422 naming the field', async (_, patch, loc) => {
      const extra = typeof patch === 'function' ? patch() : patch;
      const body: Record<string, unknown> = { ...githubRule(key), ...extra };
      if ('jwks' in extra && extra.jwks === undefined) delete body.jwks;
      const res = await postRule(t, asOwner(b), machineId, body);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toContainEqual(loc);
      expect((await listRules(t, asOwner(b), machineId).expect(200)).body.data.items).toEqual([]);
    });

    it("refuses scopes beyond the calling token's with 403 SCOPE_ESCALATION", async () => {
      const admin = await addMember(t, b, 'admin');
      const narrow = await createToken(t, asMember(admin.token, b.id), {
        scopes: ['tokens:admin', 'deploy:read'],
      });
      const res = await postRule(
        t,
        asMember(narrow.secret, b.id),
        machineId,
        githubRule(key, { scopes: ['deploy:write'] }),
      );
      expectError(res, 403, 'SCOPE_ESCALATION');
      await postRule(
        t,
        asMember(narrow.secret, b.id),
        machineId,
        githubRule(key, { scopes: ['deploy:read'] }),
      ).expect(201);
    });

    it('holds at most 20 rules per machine identity (409)', async () => {
      const m = await createMachine(t, b);
      for (let i = 0; i < 20; i++) await postRule(t, asOwner(b), m.id, githubRule(key)).expect(201);
      expectError(
        await postRule(t, asOwner(b), m.id, githubRule(key)),
        409,
        'TRUST_RULE_LIMIT_REACHED',
      );
    });

    it('takes a jwks_uri on loopback only while the allowance is on', async () => {
      const res = await postRule(
        t,
        asOwner(b),
        machineId,
        githubRule(key, { jwks: undefined, jwks_uri: 'http://127.0.0.1:9/jwks' }),
      ).expect(201);
      expect(res.body.data).toMatchObject({ jwks: null, jwks_uri: 'http://127.0.0.1:9/jwks' });
      await deleteRule(t, asOwner(b), machineId, res.body.data.id).expect(200);
    });
  });

  describe('with the private-address allowance off', () => {
    let strict: TestApp;
    beforeAll(async () => {
      strict = await bootTestApp(driver, {
        FEDERATION_JWKS_ALLOW_PRIVATE: 'false',
        FEDERATION_JWKS_ALLOW_HTTP: 'false',
      });
    });
    afterAll(() => strict?.close());

    it.each([
      'https://127.0.0.1/jwks',
      'https://10.1.2.3/jwks',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/jwks',
      'https://[::ffff:192.168.0.1]/jwks',
      'https://localhost/jwks',
      'http://example.com/jwks',
      'https://user:pw@example.com/jwks',
    ])('refuses jwks_uri %s with 422 on jwks_uri', async (uri) => {
      const b = await createBusiness(strict);
      const m = await createMachine(strict, b);
      const res = await postRule(
        strict,
        asOwner(b),
        m.id,
        githubRule(key, { jwks: undefined, jwks_uri: uri }),
      );
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toContainEqual([
        'body',
        'jwks_uri',
      ]);
      const rows = await strict.sql('SELECT id FROM trust_rules WHERE identity_id = ?', [m.id]);
      expect(rows).toEqual([]);
    });
  });

  it("deletes a machine's rules with the machine, in the same transaction", async () => {
    const b = await createBusiness(t);
    const m = await createMachine(t, b);
    const kept = await createMachine(t, b);
    await postRule(t, asOwner(b), m.id, githubRule(key)).expect(201);
    await postRule(t, asOwner(b), kept.id, githubRule(key)).expect(201);
    await t.http().delete(`/api/v1/machine-identities/${m.id}`).set(asOwner(b)).expect(200);
    const rows = await t.sql<{ identity_id: string }>(
      'SELECT identity_id FROM trust_rules WHERE business_id = ?',
      [b.id],
    );
    expect(rows).toEqual([{ identity_id: kept.id }]);
  });

  it("takes a rule's delete while its machine is being deleted, one after the other", async () => {
    const b = await createBusiness(t);
    const m = await createMachine(t, b);
    const rule = await postRule(t, asOwner(b), m.id, githubRule(key)).expect(201);
    // The machine's delete stops before it deletes the machine's rules, and the rule's comes in.
    const rules = t.app.get(TrustRulesRepository);
    const deleteOfIdentity = rules.deleteOfIdentity.bind(rules);
    let ruleDelete: Promise<Response> | undefined;
    const pause = jest.spyOn(rules, 'deleteOfIdentity').mockImplementation(async (...args) => {
      ruleDelete ??= Promise.resolve(deleteRule(t, asOwner(b), m.id, rule.body.data.id));
      await sleep(300);
      return deleteOfIdentity(...args);
    });
    let machineDelete: Response;
    try {
      machineDelete = await t.http().delete(`/api/v1/machine-identities/${m.id}`).set(asOwner(b));
    } finally {
      pause.mockRestore();
    }
    expect(machineDelete.status).toBe(200);
    // On PostgreSQL the rule's delete runs in the pause: the machine's holds no audit chain yet,
    // as its rules go before its audit entry. SQLite runs one unit of work at a time.
    const deleted = await ruleDelete!;
    expect([deleted.status, deleted.body.code ?? null]).toEqual(
      driver === 'sqlite' ? [404, 'IDENTITY_NOT_FOUND'] : [200, null],
    );
    expect(await t.sql('SELECT id FROM trust_rules WHERE identity_id = ?', [m.id])).toEqual([]);
  });

  it('has every route under the machine identity, closed without a token', async () => {
    const b = await createBusiness(t);
    const m = await createMachine(t, b);
    const res = await t.http().get(rulesPath(m.id)).set('x-business-id', b.id);
    expect(res.status).toBe(401);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, Caller, listTokens, me, revoke, rotate } from '../harness/app/api';
import { expectBearerError, expectError } from '../harness/app/assertions';
import { bootLoggedApp, LoggedApp } from '../secrets/logged-app';
import { DRIVERS } from '../setup/servers';

/**
 * Keys brought from elsewhere: a team imports its keys by SHA-256 (POST /api/v1/tokens/import),
 * and each verifies as its holder presents it, however it is shaped. Every refusal refuses the
 * whole batch and writes nothing, and no answer or log line ever holds a hash.
 */

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** A key in another service's format: nothing like Latchkey's `lk_…` with its checksum. */
const foreignKey = () => `sk_live_${randomBytes(18).toString('base64url')}`;

describe.each(DRIVERS)('importing keys on %s', (driver) => {
  let t: LoggedApp;
  let biz: BusinessFixture;
  let other: BusinessFixture;
  let member: { identityId: string; token: string };
  let machine: { id: string };
  /** Every hash this suite sent: none may come back, in an answer or a log line. */
  const sent = new Set<string>();

  const importKeys = (caller: Caller, keys: object[]) => {
    for (const k of keys) {
      const hash = (k as { hash?: unknown }).hash;
      if (typeof hash === 'string') sent.add(hash);
    }
    return t.http().post('/api/v1/tokens/import').set(caller).send({ keys });
  };
  const keyFor = (identityId: string, key = foreignKey(), extra: object = {}) => ({
    key,
    body: { hash: sha256(key), name: 'brought', identity_id: identityId, ...extra },
  });
  const count = async (table: 'api_tokens' | 'audit_events') =>
    Number((await t.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  const expectNoHash = (text: string) => {
    for (const hash of sent) expect(text).not.toContain(hash);
  };

  beforeAll(async () => {
    t = await bootLoggedApp(driver, { RATE_LIMIT_IDENTITY_PER_MINUTE: '0' });
    biz = await createUnexpiringBusiness(t);
    other = await createBusiness(t);
    member = await addMember(t, biz, 'member');
    machine = await createMachine(t, biz);
  });
  afterAll(() => t?.close());

  it('refuses a string without Latchkey shape before any import, and verifies it after', async () => {
    const { key, body } = keyFor(member.identityId);
    expectBearerError(await me(t, asMember(key, biz.id)));
    await importKeys(asOwner(biz), [body]).expect(201);
    const res = await me(t, asMember(key, biz.id)).expect(200);
    expect(res.body.data.identity.id).toBe(member.identityId);
  });

  it('imports three keys in one batch; each verifies as its holder, is listed and audited', async () => {
    const keys = [
      keyFor(member.identityId, foreignKey(), { scopes: ['deploy:read'] }),
      keyFor(member.identityId, foreignKey(), { preview: 'sk_live...abcd', meta: { from: 'x' } }),
      keyFor(machine.id, foreignKey(), { expires_at: new Date(Date.now() + 86_400_000) }),
    ];
    const audits = await count('audit_events');
    const res = await importKeys(
      asOwner(biz),
      keys.map((k) => k.body),
    ).expect(201);
    expectNoHash(JSON.stringify(res.body));
    expect(res.body.data.imported).toBe(3);
    const views = res.body.data.tokens as Record<string, unknown>[];
    expect(views.map((v) => [v.identity_id, v.origin, v.status])).toEqual([
      [member.identityId, 'import', 'active'],
      [member.identityId, 'import', 'active'],
      [machine.id, 'import', 'active'],
    ]);
    expect(views.map((v) => v.preview)).toEqual([
      `imported…${keys[0].body.hash.slice(0, 4)}`,
      'sk_live...abcd',
      `imported…${keys[2].body.hash.slice(0, 4)}`,
    ]);
    expect(views[0].scopes).toEqual(['deploy:read']);
    expect(views[1].meta).toEqual({ from: 'x' });
    for (const [i, k] of keys.entries()) {
      const who = await me(t, asMember(k.key, biz.id)).expect(200);
      expect(who.body.data.identity.id).toBe(k.body.identity_id);
      expect(who.body.data.token.id).toBe(views[i].id);
      expect(who.body.data.token.origin).toBe('import');
    }
    const listed = await listTokens(t, asOwner(biz), { identity_id: machine.id }).expect(200);
    expect(listed.body.data.items.map((v: { origin: string }) => v.origin)).toContain('import');
    // One token.created per key and one token.imported for the batch, with its count.
    expect(await count('audit_events')).toBe(audits + 4);
    const [imported] = await t.sql<{ metadata: string }>(
      "SELECT metadata FROM audit_events WHERE action = 'token.imported' AND business_id = ? " +
        'ORDER BY seq DESC',
      [biz.id],
    );
    const metadata = JSON.parse(String(imported.metadata)) as Record<string, unknown>;
    expect(metadata).toMatchObject({ imported: 3, token_ids: views.map((v) => v.id) });
    expectNoHash(JSON.stringify(metadata));
  });

  it('lets a platform token acting in the business import', async () => {
    const { key, body } = keyFor(machine.id);
    await importKeys(asMember(t.platformToken, biz.id), [body]).expect(201);
    await me(t, asMember(key, biz.id)).expect(200);
  });

  it('rotates an imported key into a Latchkey token, after which the old key fails', async () => {
    const { key, body } = keyFor(member.identityId);
    const made = await importKeys(asOwner(biz), [body]).expect(201);
    const id = made.body.data.tokens[0].id as string;
    const rotated = await rotate(t, asMember(key, biz.id), id).expect(201);
    expect(rotated.body.data.token).toMatch(/^lk_/);
    expect(rotated.body.data.origin).toBeNull();
    expectBearerError(await me(t, asMember(key, biz.id)), 'TOKEN_REVOKED');
    await me(t, asMember(rotated.body.data.token as string, biz.id)).expect(200);
  });

  it('revokes an imported key, which is then refused as revoked', async () => {
    const { key, body } = keyFor(member.identityId);
    const made = await importKeys(asOwner(biz), [body]).expect(201);
    await revoke(t, asOwner(biz), made.body.data.tokens[0].id as string).expect(201);
    expectBearerError(await me(t, asMember(key, biz.id)), 'TOKEN_REVOKED');
  });

  it('refuses a key longer than 256 characters without a lookup', async () => {
    const key = `x${'y'.repeat(256)}`;
    await importKeys(asOwner(biz), [keyFor(member.identityId, key).body]).expect(201);
    expectBearerError(await me(t, asMember(key, biz.id)));
  });

  describe('the attacker', () => {
    type Setup = { caller: Caller; keys: object[] };
    type Case = [string, () => Setup | Promise<Setup>, number, string];
    const good = () => keyFor(member.identityId).body;
    const cases: Case[] = [
      [
        'a hash this business holds already',
        async () => {
          const held = good();
          await importKeys(asOwner(biz), [held]).expect(201);
          return { caller: asOwner(biz), keys: [good(), held] };
        },
        409,
        'TOKEN_HASH_IN_USE',
      ],
      [
        "a hash another business's token holds",
        async () => {
          const native = await createToken(t, asOwner(other), { name: 'theirs' });
          return { caller: asOwner(biz), keys: [{ ...good(), hash: sha256(native.secret) }] };
        },
        409,
        'TOKEN_HASH_IN_USE',
      ],
      [
        'one hash twice in a batch',
        () => {
          const twice = good();
          return { caller: asOwner(biz), keys: [twice, { ...good(), hash: twice.hash }] };
        },
        409,
        'TOKEN_HASH_IN_USE',
      ],
      [
        'an upper-case hash',
        () => ({
          caller: asOwner(biz),
          keys: [{ ...good(), hash: good().hash.toUpperCase() }],
        }),
        422,
        'VALIDATION_ERROR',
      ],
      [
        'a hash of 63 characters',
        () => ({ caller: asOwner(biz), keys: [{ ...good(), hash: good().hash.slice(1) }] }),
        422,
        'VALIDATION_ERROR',
      ],
      [
        'a hash that is not hex',
        () => ({ caller: asOwner(biz), keys: [{ ...good(), hash: `${'g'.repeat(64)}` }] }),
        422,
        'VALIDATION_ERROR',
      ],
      [
        "another business's identity",
        () => ({
          caller: asOwner(biz),
          keys: [good(), { ...good(), identity_id: other.ownerId }],
        }),
        422,
        'VALIDATION_ERROR',
      ],
      [
        'an unknown identity',
        () => ({
          caller: asOwner(biz),
          keys: [good(), { ...good(), identity_id: '00000000-0000-4000-8000-000000000000' }],
        }),
        422,
        'VALIDATION_ERROR',
      ],
      [
        '101 keys',
        () => ({ caller: asOwner(biz), keys: Array.from({ length: 101 }, good) }),
        422,
        'VALIDATION_ERROR',
      ],
      [
        'a member',
        () => ({ caller: asMember(member.token, biz.id), keys: [good()] }),
        403,
        'INSUFFICIENT_ROLE',
      ],
      [
        'an admin',
        async () => {
          const admin = await addMember(t, biz, 'admin');
          return { caller: asMember(admin.token, biz.id), keys: [good()] };
        },
        403,
        'INSUFFICIENT_ROLE',
      ],
      [
        'an owner token without tokens:admin',
        async () => {
          const narrow = await createToken(t, asOwner(biz), { scopes: ['members:read'] });
          return { caller: asMember(narrow.secret, biz.id), keys: [good()] };
        },
        403,
        'INSUFFICIENT_SCOPE',
      ],
    ];

    it.each(cases)('refuses %s whole, writing nothing', async (_name, setup, status, code) => {
      const { caller, keys } = await setup();
      const [tokens, audits] = [await count('api_tokens'), await count('audit_events')];
      const res = await importKeys(caller, keys);
      expectError(res, status, code);
      expectNoHash(JSON.stringify(res.body));
      expect([await count('api_tokens'), await count('audit_events')]).toEqual([tokens, audits]);
    });

    it('answers an identity elsewhere and one nowhere in the same words, at its field', async () => {
      const refusal = async (identityId: string) => {
        const res = await importKeys(asOwner(biz), [{ ...good(), identity_id: identityId }]);
        const [issue] = res.body.detail as { loc: unknown[]; msg: string; type: string }[];
        return { status: res.status, loc: issue.loc, msg: issue.msg, type: issue.type };
      };
      const elsewhere = await refusal(other.ownerId);
      expect(elsewhere).toMatchObject({ status: 422, loc: ['body', 'keys', 0, 'identity_id'] });
      expect(await refusal('00000000-0000-4000-8000-000000000000')).toEqual(elsewhere);
    });

    it('never echoes a malformed hash', async () => {
      const res = await importKeys(asOwner(biz), [{ ...good(), hash: 'A'.repeat(64) }]);
      expectError(res, 422, 'VALIDATION_ERROR');
      const [issue] = res.body.detail as { loc: unknown[]; input?: unknown }[];
      expect(issue.loc).toEqual(['body', 'keys', 0, 'hash']);
      expect(issue).not.toHaveProperty('input');
    });
  });

  it('lets exactly one of two parallel imports of one hash through, round after round', async () => {
    for (let round = 0; round < 5; round++) {
      const shared = keyFor(member.identityId);
      const answers = await Promise.all([
        importKeys(asOwner(biz), [shared.body]),
        importKeys(asOwner(biz), [
          { ...shared.body, identity_id: machine.id },
          keyFor(machine.id).body,
        ]),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
      for (const r of answers) expectNoHash(JSON.stringify(r.body));
      const rows = await t.sql('SELECT id FROM api_tokens WHERE token_hash = ?', [
        shared.body.hash,
      ]);
      expect(rows).toHaveLength(1);
    }
  });

  it('wrote no hash to any log line', () => {
    expect(t.logs.length).toBeGreaterThan(0);
    expectNoHash(t.logs.join('\n'));
  });
});

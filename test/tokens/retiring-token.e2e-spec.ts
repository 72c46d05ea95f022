import { randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import {
  addMember,
  BusinessFixture,
  createMachine,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, me, postToken, revoke, rotate, selfRevoke } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * A token in its rotation grace period is retiring: it still authenticates, and introspects as
 * active, but it writes nothing except its own revocation. Before, the old secret could mint
 * tokens and revoke its own successor during the grace period.
 */

const METHODS = ['post', 'put', 'patch', 'delete'] as const;

/** The writes a retiring token may still make, by operationId. */
const ALLOWED = new Set([
  'revokeOwnToken',
  'revokeToken',
  'deleteToken',
  'introspectToken',
  'revokeTokenByValue',
  'revokeAnyToken',
]);

describe.each(DRIVERS)('a retiring token on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  const tokenRow = async (id: string) =>
    (await t.sql<Record<string, unknown>>('SELECT * FROM api_tokens WHERE id = ?', [id]))[0];
  const countTokens = async () =>
    Number((await t.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM api_tokens'))[0].n);

  /** An owner's token rotated with a grace period: the old secret, and the successor. */
  const retiring = async () => {
    const made = await postToken(t, asOwner(biz), { name: 'to-rotate' }).expect(201);
    const old = { id: made.body.data.id as string, secret: made.body.data.token as string };
    const next = await rotate(t, asMember(old.secret, biz.id), old.id, {
      grace_period_seconds: 3600,
    }).expect(201);
    return {
      old,
      next: { id: next.body.data.id as string, secret: next.body.data.token as string },
    };
  };

  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  it('still authenticates, and introspects as active', async () => {
    const { old } = await retiring();
    await me(t, asMember(old.secret, biz.id)).expect(200);
    const res = await t
      .http()
      .post('/oauth2/introspect')
      .set('authorization', `Bearer ${old.secret}`)
      .send({ token: old.secret })
      .expect(200);
    expect(res.body).toMatchObject({ active: true, jti: expect.any(String) });
  });

  it('cannot mint a token, rotate, or revoke its own successor: 403 TOKEN_RETIRING, nothing changes', async () => {
    const { old, next } = await retiring();
    const machine = await createMachine(t, biz, 'member');
    const before = await countTokens();
    const nextBefore = await tokenRow(next.id);
    const as = asMember(old.secret, biz.id);

    expectError(await postToken(t, as, { name: 'minted' }), 403, 'TOKEN_RETIRING');
    expectError(
      await postToken(t, as, { name: 'minted', identity_id: machine.id }),
      403,
      'TOKEN_RETIRING',
    );
    expectError(await rotate(t, as, next.id), 403, 'TOKEN_RETIRING');
    expectError(await revoke(t, as, next.id, { reason: 'mine now' }), 403, 'TOKEN_RETIRING');
    expectError(await t.http().delete(`/api/v1/tokens/${next.id}`).set(as), 403, 'TOKEN_RETIRING');
    expectError(
      await t.http().post('/api/v1/tokens/bulk-revoke').set(as).send({ all: true, reason: 'x' }),
      403,
      'TOKEN_RETIRING',
    );

    expect(await countTokens()).toBe(before);
    expect(await tokenRow(next.id)).toEqual(nextBefore);
    await me(t, asMember(next.secret, biz.id)).expect(200);
  });

  it.each([
    [
      'POST /api/v1/tokens/{id}/revoke',
      (id: string, secret: string) => revoke(t, asMember(secret, biz.id), id, { reason: 'done' }),
    ],
    [
      'DELETE /api/v1/tokens/{id}',
      (id: string, secret: string) =>
        t.http().delete(`/api/v1/tokens/${id}`).set(asMember(secret, biz.id)),
    ],
    [
      'POST /api/v1/tokens/self/revoke',
      (_id: string, secret: string) => selfRevoke(t, asMember(secret, biz.id), { reason: 'done' }),
    ],
  ] as [string, (id: string, secret: string) => Test][])(
    'may revoke itself through %s',
    async (_route, call) => {
      const { old, next } = await retiring();
      const res = await call(old.id, old.secret);
      expect([200, 201]).toContain(res.status);
      expect((await tokenRow(old.id)).revoked_at).not.toBeNull();
      await me(t, asMember(next.secret, biz.id)).expect(200);
    },
  );

  it('another retiring token of the same person is still refused: only itself', async () => {
    const a = await retiring();
    const b = await retiring();
    expectError(
      await revoke(t, asMember(a.old.secret, biz.id), b.old.id, { reason: 'x' }),
      403,
      'TOKEN_RETIRING',
    );
    expect((await tokenRow(b.old.id)).revoked_at).toBeNull();
  });

  it('a retiring member cannot add people or machines either', async () => {
    const member = await addMember(t, biz, 'admin');
    const made = await postToken(t, asMember(member.token, biz.id), { name: 'admin-ci' }).expect(
      201,
    );
    await rotate(t, asMember(made.body.data.token, biz.id), made.body.data.id, {
      grace_period_seconds: 60,
    }).expect(201);
    const as = asMember(made.body.data.token as string, biz.id);
    expectError(
      await t
        .http()
        .post('/api/v1/members')
        .set(as)
        .send({ email: `r-${randomUUID()}@example.test`, role: 'member' }),
      403,
      'TOKEN_RETIRING',
    );
    expectError(
      await t.http().post('/api/v1/machine-identities').set(as).send({ name: 'r', role: 'member' }),
      403,
      'TOKEN_RETIRING',
    );
  });

  it('every write in the OpenAPI document refuses it, but the revocations of itself and introspection', async () => {
    const spec = (await t.http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>>;
    };
    const { old } = await retiring();
    const writes = Object.entries(spec.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m] && !(item[m].security?.length === 0)).map((method) => ({
        path,
        method,
        id: item[method].operationId,
      })),
    );
    expect(writes.length).toBeGreaterThan(15);
    // The allowed ones last, and self/revoke the very last: it ends the token.
    const rank = (id: string) => (id === 'revokeOwnToken' ? 2 : ALLOWED.has(id) ? 1 : 0);
    writes.sort((a, b) => rank(a.id) - rank(b.id));
    const answers: Record<string, string> = {};
    for (const w of writes) {
      const path = w.path.replace(/\{[^}]+\}/g, randomUUID());
      const res = await t.http()[w.method](path).set(asMember(old.secret, biz.id)).send({});
      answers[`${w.method.toUpperCase()} ${w.path} (${w.id})`] =
        res.body?.code === 'TOKEN_RETIRING' ? 'refused' : `${res.status} ${res.body?.code}`;
    }
    for (const [key, answer] of Object.entries(answers)) {
      const id = /\((.*)\)$/.exec(key)![1];
      if (ALLOWED.has(id)) expect({ key, answer }).not.toEqual({ key, answer: 'refused' });
      else expect({ key, answer }).toEqual({ key, answer: 'refused' });
    }
    expect(Object.keys(answers).filter((k) => ALLOWED.has(/\((.*)\)$/.exec(k)![1]))).toHaveLength(
      ALLOWED.size,
    );
  });
});

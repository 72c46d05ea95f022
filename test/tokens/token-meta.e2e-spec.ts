import type { Response } from 'supertest';
import { InvalidationMessage, RevocationBus } from '../../src/bus/revocation-bus';
import { mintSecret } from '../../src/tokens/token-secret';
import { BusinessFixture, createBusiness, createToken } from '../factories/tenancy.factory';
import { asBearer, asMember, asOwner, listAuditEvents, me, rotate } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { expectValidation } from '../harness/app/token-checks';
import { DRIVERS } from '../setup/servers';

/** An object `levels` deep: `{a: {a: … {a: 1}}}`. */
const nested = (levels: number): Record<string, unknown> =>
  levels === 1 ? { a: 1 } : { a: nested(levels - 1) };
/** An object whose compact JSON is exactly `bytes` long. */
const sized = (bytes: number) => ({ k: 'x'.repeat(bytes - '{"k":""}'.length) });

/**
 * A token's `meta`: set at create and by PATCH, shown in the view and introspection,
 * bounded (4 KiB, 4 levels, keys of 64), holding no secret, and never in the audit log.
 */
describe.each(DRIVERS)('Token meta on %s', (driver) => {
  let t: TestApp;
  let b: BusinessFixture;
  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '10000' });
    b = await createBusiness(t);
  });
  afterAll(() => t?.close());

  const patch = (id: string, body: object) =>
    t.http().patch(`/api/v1/tokens/${id}`).set(asOwner(b)).send(body);
  const create = (body: object) =>
    t
      .http()
      .post('/api/v1/tokens')
      .set(asOwner(b))
      .send({ name: 'meta', ...body });
  const introspect = (secret: string) =>
    t.http().post('/oauth2/introspect').set(asBearer(t.platformToken)).send({ token: secret });
  const storedMeta = async (id: string) => {
    const [row] = await t.sql<{ meta: string | null }>('SELECT meta FROM api_tokens WHERE id = ?', [
      id,
    ]);
    return row.meta === null ? null : (JSON.parse(row.meta) as unknown);
  };

  it('is set at create, and shown in the view, GET, /me and introspection', async () => {
    const meta = { team: 'payments', tags: ['a', 'b'], owner: { ticket: 12, ok: true } };
    const res = await create({ meta }).expect(201);
    expect(res.body.data.meta).toEqual(meta);
    const { id, token } = res.body.data as { id: string; token: string };
    const got = await t.http().get(`/api/v1/tokens/${id}`).set(asOwner(b)).expect(200);
    expect(got.body.data.meta).toEqual(meta);
    const mine = await me(t, asMember(token, b.id)).expect(200);
    expect(mine.body.data.token.meta).toEqual(meta);
    expect((await introspect(token)).body).toMatchObject({ active: true, meta });
    expect(await storedMeta(id)).toEqual(meta);
  });

  it('is none by default, and null at create is none', async () => {
    expect((await create({}).expect(201)).body.data.meta).toBeNull();
    const res = await create({ meta: null }).expect(201);
    expect(res.body.data.meta).toBeNull();
    expect((await introspect(res.body.data.token as string)).body.meta).toBeNull();
  });

  it('is replaced whole by PATCH and cleared by null, at once everywhere, audited without its content', async () => {
    const tok = await createToken(t, asOwner(b), { meta: { v: 'first-value' } });
    expect((await introspect(tok.secret)).body.meta).toEqual({ v: 'first-value' });

    const seen: InvalidationMessage[] = [];
    const unsubscribe = t.app.get(RevocationBus).subscribe((m) => seen.push(m));
    let res: Response;
    try {
      res = await patch(tok.id, { meta: { w: 'second-value' } });
    } finally {
      unsubscribe();
    }
    expect({ status: res.status, meta: res.body.data?.meta }).toEqual({
      status: 200,
      meta: { w: 'second-value' },
    });
    expect(seen).toContainEqual({ type: 'token.changed', business_id: b.id, jti: tok.jti });
    expect((await introspect(tok.secret)).body.meta).toEqual({ w: 'second-value' });

    expect((await patch(tok.id, { meta: null }).expect(200)).body.data.meta).toBeNull();
    expect(await storedMeta(tok.id)).toBeNull();
    expect((await introspect(tok.secret)).body.meta).toBeNull();

    const events = await listAuditEvents(t, asOwner(b), { action: 'token.updated', limit: 50 });
    const mine = (events.body.data.items as { target: { id: string }; metadata: object }[]).filter(
      (e) => e.target.id === tok.id,
    );
    expect(mine).toHaveLength(2);
    for (const e of mine) expect(e.metadata).toMatchObject({ changed: ['meta'] });
    const exported = JSON.stringify(events.body);
    expect(exported).not.toContain('second-value');
    expect(exported).not.toContain('first-value');
  });

  it('renames alone without an audited update, as before, and refuses an empty PATCH', async () => {
    const tok = await createToken(t, asOwner(b), { meta: { keep: 1 } });
    const res = await patch(tok.id, { name: 'renamed' }).expect(200);
    expect(res.body.data).toMatchObject({ name: 'renamed', meta: { keep: 1 } });
    const events = await listAuditEvents(t, asOwner(b), { action: 'token.updated', limit: 50 });
    const ids = (events.body.data.items as { target: { id: string } }[]).map((e) => e.target.id);
    expect(ids).not.toContain(tok.id);
    expectValidation(await patch(tok.id, {}), ['body']);
    expectValidation(await patch(tok.id, { name: null }), ['body', 'name']);
    expectValidation(await patch(tok.id, { name: '' }), ['body', 'name']);
  });

  it('is kept by a rotation', async () => {
    const tok = await createToken(t, asOwner(b), { meta: { kept: true } });
    const res = await rotate(t, asOwner(b), tok.id).expect(201);
    expect(res.body.data.meta).toEqual({ kept: true });
  });

  it.each([
    ['exactly 4096 bytes', sized(4096)],
    ['4096 bytes counted in UTF-8', { k: 'é'.repeat(2044) }],
    ['4 levels', nested(4)],
    ['a key of 64 characters', { ['k'.repeat(64)]: 1 }],
    ['an empty object', {}],
    ['arrays within the levels', { a: [[1, [2]]] }],
  ])('takes %s', async (_name, meta) => {
    const res = await create({ meta });
    expect({ status: res.status, meta: res.body.data?.meta }).toEqual({ status: 201, meta });
    const tok = await createToken(t, asOwner(b));
    expect((await patch(tok.id, { meta })).status).toBe(200);
  });

  it.each([
    ['an array', [1, 2]],
    ['a string', 'team=payments'],
    ['a number', 42],
    ['4097 bytes', sized(4097)],
    ['4097 bytes counted in UTF-8', { k: `${'é'.repeat(2044)}x` }],
    ['5 levels', nested(5)],
    ['5 levels through an array', { a: [[[{ b: 1 }]]] }],
    ['a key of 65 characters', { ['k'.repeat(65)]: 1 }],
    ['a long key deep inside', { a: { b: { ['k'.repeat(65)]: 1 } } }],
  ])('refuses %s at create and by PATCH (422 at body.meta), storing nothing', async (_n, meta) => {
    const before = await t.sql('SELECT COUNT(*) AS n FROM api_tokens');
    expectValidation(await create({ meta }), ['body', 'meta']);
    expect(await t.sql('SELECT COUNT(*) AS n FROM api_tokens')).toEqual(before);
    const tok = await createToken(t, asOwner(b), { meta: { was: 1 } });
    expectValidation(await patch(tok.id, { meta }), ['body', 'meta']);
    expect(await storedMeta(tok.id)).toEqual({ was: 1 });
  });

  it.each([
    ['a value', (s: string) => ({ note: s })],
    ['a value inside text', (s: string) => ({ note: `see ${s} here` })],
    ['a nested value', (s: string) => ({ a: { b: [s] } })],
    ['a key', (s: string) => ({ [s]: 1 })],
  ])('refuses a live token in %s: 422 SECRET_IN_TEXT, echoed nowhere', async (_n, shape) => {
    const secret = mintSecret('lk').secret;
    const tok = await createToken(t, asOwner(b));
    for (const res of [
      await create({ meta: shape(secret) }),
      await patch(tok.id, { meta: shape(secret) }),
    ]) {
      expectError(res, 422, 'SECRET_IN_TEXT');
      expect(res.body.detail).toEqual([
        expect.objectContaining({ loc: ['body', 'meta'], type: 'secret_in_text' }),
      ]);
      expect(JSON.stringify(res.body)).not.toContain(secret.slice(-30));
    }
    const rows = await t.sql<{ n: unknown }>(
      'SELECT COUNT(*) AS n FROM api_tokens WHERE meta LIKE ?',
      [`%${secret.slice(-30)}%`],
    );
    expect(Number(rows[0].n)).toBe(0);
  });
});

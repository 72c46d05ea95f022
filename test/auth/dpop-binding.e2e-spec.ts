import { randomBytes } from 'node:crypto';
import { RejectedUseRecorder } from '../../src/tokens/verify/rejected-use-recorder';
import { createBusiness, createToken, type IssuedToken } from '../factories/tenancy.factory';
import { asBearer, asOwner, type Caller } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { cliInProcess } from '../harness/app/cli';
import { asDpop, DPOP_BASE, dpopKey, type DpopKey, dpopProof } from '../harness/app/dpop';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { DRIVERS, TEST_REDIS_URL } from '../setup/servers';
import { lastReading } from '../harness/patience';

const ME = '/api/v1/me';
const CHALLENGE =
  /^DPoP error="(invalid_token|invalid_dpop_proof)", algs="[A-Za-z0-9 ]*ES256[A-Za-z0-9 ]*"$/;

/** A 401 of RFC 9449 §7.1: its code, and the DPoP challenge naming its error. */
function expectDpopRefusal(
  res: { status: number; body: { code?: string }; headers: Record<string, string> },
  code: 'INVALID_TOKEN' | 'INVALID_DPOP_PROOF',
): void {
  expectError(res as never, 401, code);
  const error = code === 'INVALID_TOKEN' ? 'invalid_token' : 'invalid_dpop_proof';
  expect(res.headers['www-authenticate']).toMatch(CHALLENGE);
  expect(res.headers['www-authenticate']).toContain(`error="${error}"`);
}

/**
 * Tokens bound to a key (RFC 9449, DPoP): made bound by naming the key's thumbprint or by a proof
 * on the creating request; then accepted only as `Authorization: DPoP` with a fresh proof of that
 * key, for this method and URL, of this token, seen once. Every other way an attacker holding the
 * string alone might try is a 401 with the DPoP challenge, and none is a 500.
 */
describe.each(DRIVERS)('DPoP-bound tokens on %s', (driver) => {
  let t: TestApp;
  let key: DpopKey;
  let biz: Awaited<ReturnType<typeof createBusiness>>;
  let bound: IssuedToken;
  beforeAll(async () => {
    t = await bootTestApp(driver, { PUBLIC_BASE_URL: DPOP_BASE });
    key = await dpopKey();
    biz = await createBusiness(t);
    bound = await createToken(t, asOwner(biz), { name: 'bound', dpop_jkt: key.jkt });
  });
  afterAll(() => t?.close());

  const meWith = (caller: Caller) =>
    t
      .http()
      .get(ME)
      .set({ ...caller, 'x-business-id': biz.id });
  const proofFor = (token: string | null, over: Partial<Parameters<typeof dpopProof>[1]> = {}) =>
    dpopProof(key, { method: 'GET', url: ME, token, ...over });

  it('binds a token to the key named, shows the thumbprint, and takes it with a proof of that key', async () => {
    expect(bound.view.dpop_jkt).toBe(key.jkt);
    const res = await meWith(asDpop(bound.secret, await proofFor(bound.secret)));
    expect(res.status).toBe(200);
    expect(res.body.data.token).toMatchObject({ id: bound.id, dpop_jkt: key.jkt });
  });

  it('refuses the bound token as Bearer, with or without a proof beside it', async () => {
    expectDpopRefusal(await meWith(asBearer(bound.secret)), 'INVALID_TOKEN');
    const beside = { ...asBearer(bound.secret), dpop: await proofFor(null) };
    expectDpopRefusal(await meWith(beside), 'INVALID_TOKEN');
  });

  it('refuses it with no proof, and with a proof by another key', async () => {
    expectDpopRefusal(
      await meWith({ authorization: `DPoP ${bound.secret}` }),
      'INVALID_DPOP_PROOF',
    );
    const other = await dpopKey('EdDSA');
    const proof = await dpopProof(other, { method: 'GET', url: ME, token: bound.secret });
    expectDpopRefusal(await meWith(asDpop(bound.secret, proof)), 'INVALID_TOKEN');
  });

  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ['for another method', { method: 'POST' }],
    ['for another URL', { url: '/api/v1/tokens' }],
    ['for another host', { url: 'https://attacker.example.com/api/v1/me' }],
    ['made 10 minutes ago', { iat: now() - 600 }],
    ['made 10 minutes ahead', { iat: now() + 600 }],
    ['of another token (ath)', { claims: { ath: 'x'.repeat(43) } }],
    ['with no ath', { claims: { ath: undefined } }],
    ['with alg none', { header: { alg: 'none' } }],
    ['of another typ', { header: { typ: 'JWT' } }],
    ['with no jti', { claims: { jti: undefined } }],
  ])('refuses a proof %s', async (_label, over) => {
    // A token of its own: refused uses are recorded once a minute per token.
    const victim = await createToken(t, asOwner(biz), { name: 'victim', dpop_jkt: key.jkt });
    let proof: string;
    if ((over as { header?: { alg?: string } }).header?.alg === 'none') {
      // jose will not sign with none: the attacker's proof is written by hand.
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const good = await proofFor(victim.secret);
      proof = `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk })}.${good.split('.')[1]}.`;
    } else {
      proof = await proofFor(victim.secret, over);
    }
    expectDpopRefusal(await meWith(asDpop(victim.secret, proof)), 'INVALID_DPOP_PROOF');
    await expectRecorded(victim);
  });

  it.each([
    ['as Bearer', (v: IssuedToken) => Promise.resolve(asBearer(v.secret))],
    [
      'as DPoP with no proof',
      (v: IssuedToken) => Promise.resolve({ authorization: `DPoP ${v.secret}` }),
    ],
    [
      'with a proof by another key',
      async (v: IssuedToken) =>
        asDpop(
          v.secret,
          await dpopProof(await dpopKey('EdDSA'), { method: 'GET', url: ME, token: v.secret }),
        ),
    ],
  ])('records the bound token sent %s as a refused use', async (_label, callerOf) => {
    const victim = await createToken(t, asOwner(biz), { name: 'victim', dpop_jkt: key.jkt });
    expect((await meWith(await callerOf(victim))).status).toBe(401);
    await expectRecorded(victim);
  });

  /** One `token.rejected` of `victim`, reason dpop_proof, once its unit of work has committed. */
  async function expectRecorded(victim: IssuedToken) {
    await t.app.get(RejectedUseRecorder).settle();
    const audit = await t
      .http()
      .get(`/api/v1/audit-events?action=token.rejected&target_id=${victim.id}`)
      .set(asOwner(biz))
      .expect(200);
    expect(audit.body.data.items.map((e: { metadata: object }) => e.metadata)).toEqual([
      expect.objectContaining({ reason: 'dpop_proof' }),
    ]);
  }

  it('refuses a proof whose jwk holds the private key, and an HS256 one', async () => {
    const withPrivate = await proofFor(bound.secret, {
      header: { jwk: { ...key.jwk, d: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } },
    });
    expectDpopRefusal(await meWith(asDpop(bound.secret, withPrivate)), 'INVALID_DPOP_PROOF');
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const good = await proofFor(bound.secret);
    const hs = `${b64({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'c2VjcmV0' } })}.${good.split('.')[1]}.c2ln`;
    expectDpopRefusal(await meWith(asDpop(bound.secret, hs)), 'INVALID_DPOP_PROOF');
    for (const garbage of ['', 'a.b.c', '....', 'x'.repeat(10_000), '\u00e9.\u00e9.\u00e9']) {
      const res = await meWith({ authorization: `DPoP ${bound.secret}`, dpop: garbage });
      expect(res.status).toBe(401);
    }
  });

  it('takes a proof once: the same proof again is refused', async () => {
    const proof = await proofFor(bound.secret);
    expect((await meWith(asDpop(bound.secret, proof))).status).toBe(200);
    expectDpopRefusal(await meWith(asDpop(bound.secret, proof)), 'INVALID_DPOP_PROOF');
    const parallel = await proofFor(bound.secret);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => meWith(asDpop(bound.secret, parallel))),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
  });

  it('records the refused uses of a bound token as token.rejected', async () => {
    const token = await createToken(t, asOwner(biz), { name: 'audited', dpop_jkt: key.jkt });
    await meWith(asBearer(token.secret)).expect(401);
    // Recorded in a unit of work of its own, after the answer: read until it has committed.
    const read = () =>
      t
        .http()
        .get(`/api/v1/audit-events?action=token.rejected&target_id=${token.id}`)
        .set(asOwner(biz))
        .expect(200);
    const audit = await lastReading(read, (res) => res.body.data.items.length > 0);
    expect(audit.body.data.items.map((e: { metadata: object }) => e.metadata)).toEqual([
      expect.objectContaining({ reason: 'dpop_proof', jti: token.jti }),
    ]);
    expect(audit.text).not.toContain(token.secret);
  });

  it('takes an unbound token with a good proof as it would without, and refuses a bad proof', async () => {
    const plain = await createToken(t, asOwner(biz), { name: 'plain' });
    expect(plain.view.dpop_jkt).toBeNull();
    expect((await meWith(asDpop(plain.secret, await proofFor(plain.secret)))).status).toBe(200);
    const stale = await proofFor(plain.secret, { iat: now() - 600 });
    expectDpopRefusal(await meWith(asDpop(plain.secret, stale)), 'INVALID_DPOP_PROOF');
  });

  it('binds a new token to the key a proof on the creating request shows, and a rotation keeps the key', async () => {
    const proof = await dpopProof(key, { method: 'POST', url: '/api/v1/tokens', token: null });
    const created = await t
      .http()
      .post('/api/v1/tokens')
      .set({ ...asOwner(biz), dpop: proof })
      .send({ name: 'proved' })
      .expect(201);
    expect(created.body.data.dpop_jkt).toBe(key.jkt);
    const secret = created.body.data.token as string;
    expectDpopRefusal(await meWith(asBearer(secret)), 'INVALID_TOKEN');
    const rotatePath = `/api/v1/tokens/${created.body.data.id}/rotate`;
    const rotated = await t
      .http()
      .post(rotatePath)
      .set({
        ...asDpop(secret, await dpopProof(key, { method: 'POST', url: rotatePath, token: secret })),
        'x-business-id': biz.id,
      })
      .send({})
      .expect(201);
    expect(rotated.body.data.dpop_jkt).toBe(key.jkt);
  });

  it('introspects a bound token as DPoP, with its key in cnf.jkt', async () => {
    const res = await t
      .http()
      .post('/oauth2/introspect')
      .set(asBearer(biz.ownerToken))
      .send({ token: bound.secret })
      .expect(200);
    expect(res.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
    const plain = await t
      .http()
      .post('/oauth2/introspect')
      .set(asBearer(biz.ownerToken))
      .send({ token: biz.ownerToken })
      .expect(200);
    expect(plain.body.token_type).toBe('Bearer');
    expect(plain.body).not.toHaveProperty('cnf');
  });

  it('binds a token the CLI makes with --dpop-jkt, and refuses a thumbprint that is not one', async () => {
    const base = ['tokens', 'create', '--business', biz.id, '--email', biz.ownerEmail];
    const made = await cliInProcess([...base, '--name', 'cli-bound', '--dpop-jkt', key.jkt], {
      ...t.db.env,
    });
    expect({ code: made.code, stderr: made.stderr }).toEqual({ code: 0, stderr: '' });
    const secret = made.stdout.trim();
    expectDpopRefusal(await meWith(asBearer(secret)), 'INVALID_TOKEN');
    expect((await meWith(asDpop(secret, await proofFor(secret)))).status).toBe(200);
    const bad = await cliInProcess([...base, '--name', 'x', '--dpop-jkt', 'short'], t.db.env);
    expect({ code: bad.code, stdout: bad.stdout }).toEqual({ code: 1, stdout: '' });
    expect(bad.stderr).toContain('dpop_jkt');
  });

  it('refuses a thumbprint that is not one', async () => {
    const res = await t
      .http()
      .post('/api/v1/tokens')
      .set(asOwner(biz))
      .send({ name: 'x', dpop_jkt: 'not-a-thumbprint' });
    expect({ status: res.status, loc: res.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['body', 'dpop_jkt'],
    });
  });
});

/** With Redis, a proof spent on one instance is spent on every one. */
const withRedis = TEST_REDIS_URL ? describe.each(DRIVERS) : describe.skip.each(DRIVERS);

withRedis('DPoP proofs across two instances on %s and Redis', (driver) => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = {
      PUBLIC_BASE_URL: DPOP_BASE,
      REDIS_URL: TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: `latchkey-test-${randomBytes(4).toString('hex')}:`,
    };
    a = await bootTestApp(driver, env);
    b = await bootTestApp(driver, env, a.db);
  });
  afterAll(async () => {
    await b?.close({ keepDatabase: true });
    await a?.close();
  });

  it('refuses on B a proof A took, and takes each proof once when both race', async () => {
    const key = await dpopKey('EdDSA');
    const biz = await createBusiness(a);
    const token = await createToken(a, asOwner(biz), { dpop_jkt: key.jkt });
    const on = (app: TestApp, proof: string) =>
      app
        .http()
        .get(ME)
        .set({ ...asDpop(token.secret, proof), 'x-business-id': biz.id });
    const proof = await dpopProof(key, { method: 'GET', url: ME, token: token.secret });
    expect((await on(a, proof)).status).toBe(200);
    expectDpopRefusal(await on(b, proof), 'INVALID_DPOP_PROOF');
    const raced = await dpopProof(key, { method: 'GET', url: ME, token: token.secret });
    const answers = await Promise.all([a, b, a, b].map((app) => on(app, raced)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401, 401, 401]);
  });
});

/**
 * A replayed proof is refused as a refused use of its token (`token.rejected`, reason
 * `dpop_proof`), and costs a token with a limit of uses nothing: the proof's `jti` is spent once
 * the key matches, before a use is counted.
 */
describe.each(DRIVERS)('A replayed DPoP proof on %s', (driver) => {
  let t: TestApp;
  let key: DpopKey;
  let biz: Awaited<ReturnType<typeof createBusiness>>;
  beforeAll(async () => {
    t = await bootTestApp(driver, { PUBLIC_BASE_URL: DPOP_BASE });
    key = await dpopKey();
    biz = await createBusiness(t);
  });
  afterAll(() => t?.close());

  const meWith = async (token: IssuedToken, proof?: string) =>
    t
      .http()
      .get(ME)
      .set({
        ...asDpop(
          token.secret,
          proof ?? (await dpopProof(key, { method: 'GET', url: ME, token: token.secret })),
        ),
        'x-business-id': biz.id,
      });
  const usesLeft = (res: { body: { data: { token: { uses_remaining: number } } } }) =>
    res.body.data.token.uses_remaining;

  it('refuses a replay of a limited token, bound or not, without spending a use', async () => {
    for (const body of [{ dpop_jkt: key.jkt }, {}]) {
      const token = await createToken(t, asOwner(biz), { uses_limit: 3, ...body });
      const proof = await dpopProof(key, { method: 'GET', url: ME, token: token.secret });
      const first = await meWith(token, proof);
      expect({ status: first.status, left: usesLeft(first) }).toEqual({ status: 200, left: 2 });
      expectDpopRefusal(await meWith(token, proof), 'INVALID_DPOP_PROOF');
      const next = await meWith(token);
      expect({ status: next.status, left: usesLeft(next) }).toEqual({ status: 200, left: 1 });
    }
  });

  it('spends one use for a proof raced six times at once', async () => {
    const token = await createToken(t, asOwner(biz), { uses_limit: 10, dpop_jkt: key.jkt });
    const proof = await dpopProof(key, { method: 'GET', url: ME, token: token.secret });
    const answers = await Promise.all(Array.from({ length: 6 }, () => meWith(token, proof)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
    expect(usesLeft(await meWith(token))).toBe(8);
  });

  it('records the replay as token.rejected with reason dpop_proof', async () => {
    const token = await createToken(t, asOwner(biz), { name: 'replayed', dpop_jkt: key.jkt });
    const proof = await dpopProof(key, { method: 'GET', url: ME, token: token.secret });
    expect((await meWith(token, proof)).status).toBe(200);
    expectDpopRefusal(await meWith(token, proof), 'INVALID_DPOP_PROOF');
    await t.app.get(RejectedUseRecorder).settle();
    const audit = await t
      .http()
      .get(`/api/v1/audit-events?action=token.rejected&target_id=${token.id}`)
      .set(asOwner(biz))
      .expect(200);
    expect(audit.body.data.items.map((e: { metadata: object }) => e.metadata)).toEqual([
      expect.objectContaining({ reason: 'dpop_proof', jti: token.jti }),
    ]);
    expect(audit.text).not.toContain(token.secret);
    expect(audit.text).not.toContain(proof);
  });
});

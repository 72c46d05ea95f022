import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Response } from 'supertest';
import { DPOP_NONCE_BUCKET_MS, DpopNonces } from '../../src/auth/dpop/dpop-nonce';
import { DpopProofs } from '../../src/auth/guards/dpop-proofs';
import { RejectedUseRecorder } from '../../src/tokens/verify/rejected-use-recorder';
import { createBusiness, createToken, type IssuedToken } from '../factories/tenancy.factory';
import { asBearer, asOwner, type Caller } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { asDpop, DPOP_BASE, dpopKey, type DpopKey, dpopProof } from '../harness/app/dpop';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const ME = '/api/v1/me';
const NONCE = /^[A-Za-z0-9_-]{43}$/;
const NONCES_ON = { PUBLIC_BASE_URL: DPOP_BASE, DPOP_NONCE_REQUIRED: 'true' };

/** RFC 9449 §9: 401 USE_DPOP_NONCE, its challenge, and a nonce to retry with; that nonce. */
function expectNonceAsked(res: Response): string {
  expectError(res, 401, 'USE_DPOP_NONCE');
  expect(res.headers['www-authenticate']).toMatch(
    /^DPoP error="use_dpop_nonce", error_description="[^"]+", algs="[A-Za-z0-9 ]+"$/,
  );
  expect(res.headers['dpop-nonce']).toMatch(NONCE);
  return res.headers['dpop-nonce'];
}

/** The nonces of the app's DpopProofs, whose clock a test moves. */
const noncesOf = (t: TestApp) => t.app.get(DpopProofs).nonces!;

/**
 * DPOP_NONCE_REQUIRED (RFC 9449 §8 and §9): every proof the API checks must carry a nonce this
 * installation issued in the current minute or the last. A client that follows the dance (a
 * proof without one, 401 use_dpop_nonce with DPoP-Nonce, a new proof with it) gets in; a nonce an
 * attacker writes, or one too old, never does; and no answer is a 500.
 */
describe.each(DRIVERS)('DPoP nonces required on %s', (driver) => {
  let t: TestApp;
  let key: DpopKey;
  let biz: Awaited<ReturnType<typeof createBusiness>>;
  let bound: IssuedToken;
  beforeAll(async () => {
    t = await bootTestApp(driver, NONCES_ON);
    key = await dpopKey();
    biz = await createBusiness(t);
    bound = await createToken(t, asOwner(biz), { name: 'bound', dpop_jkt: key.jkt });
  });
  afterEach(() => {
    noncesOf(t).clock = Date.now;
  });
  afterAll(() => t?.close());

  const meWith = (caller: Caller) =>
    t
      .http()
      .get(ME)
      .set({ ...caller, 'x-business-id': biz.id });
  const proofFor = (token: IssuedToken, nonce?: unknown, signer = key) =>
    dpopProof(signer, {
      method: 'GET',
      url: ME,
      token: token.secret,
      claims: nonce === undefined ? {} : { nonce },
    });
  const withNonce = async (token: IssuedToken, nonce: unknown) =>
    meWith(asDpop(token.secret, await proofFor(token, nonce)));
  /** A nonce as a client first meets it: the refusal of a proof without one. */
  const firstNonce = async (token = bound) => expectNonceAsked(await withNonce(token, undefined));

  it('asks a proof without a nonce for one, takes the retry, and hands the next nonce on', async () => {
    const refused = await withNonce(bound, undefined);
    const nonce = expectNonceAsked(refused);
    expect(refused.text).not.toContain(bound.secret);
    const taken = await withNonce(bound, nonce);
    expect(taken.status).toBe(200);
    expect(taken.body.data.token.id).toBe(bound.id);
    expect(taken.headers['dpop-nonce']).toMatch(NONCE);
    // The nonce serves further proofs (each with its own jti) while it is current.
    expect((await withNonce(bound, nonce)).status).toBe(200);
  });

  it('refuses a nonce an attacker writes, or one of another type, and never answers 500', async () => {
    const issued = await firstNonce();
    const otherKeys = new DpopNonces(() => randomBytes(32)).issue();
    const flipped = `${issued.slice(0, -1)}${issued.endsWith('A') ? 'B' : 'A'}`;
    for (const forged of [
      otherKeys,
      flipped,
      '',
      'x'.repeat(43),
      `${issued}A`,
      issued.slice(1),
      `é${issued.slice(1)}`,
      7,
      null,
      [issued],
      { nonce: issued },
    ]) {
      expectNonceAsked(await withNonce(bound, forged));
    }
  });

  it('takes a nonce of the last minute, refuses an older one, and never one still to come', async () => {
    const start = Date.now();
    const clock = (ms: number) => (noncesOf(t).clock = () => ms);
    clock(start);
    const nonce = await firstNonce();
    clock(start + DPOP_NONCE_BUCKET_MS);
    const next = await withNonce(bound, nonce);
    expect(next.status).toBe(200);
    expect(next.headers['dpop-nonce']).not.toBe(nonce);
    clock(start + 2 * DPOP_NONCE_BUCKET_MS);
    const stale = expectNonceAsked(await withNonce(bound, nonce));
    expect(stale).not.toBe(nonce);
    expect((await withNonce(bound, stale)).status).toBe(200);
    // A nonce of the bucket ahead is not one this installation has issued.
    const ahead = next.headers['dpop-nonce'];
    clock(start);
    expectNonceAsked(await withNonce(bound, ahead));
  });

  it('puts a fresh nonce on every DPoP refusal, and none on an answer that showed no proof', async () => {
    const nonce = await firstNonce();
    const asBearerToo = await meWith(asBearer(bound.secret));
    expectError(asBearerToo, 401, 'INVALID_TOKEN');
    expect(asBearerToo.headers['www-authenticate']).toMatch(/^DPoP error="invalid_token"/);
    expect(asBearerToo.headers['dpop-nonce']).toMatch(NONCE);
    const other = await dpopKey('EdDSA');
    const byOther = await meWith(asDpop(bound.secret, await proofFor(bound, nonce, other)));
    expectError(byOther, 401, 'INVALID_TOKEN');
    expect(byOther.headers['dpop-nonce']).toMatch(NONCE);
    const proof = await proofFor(bound, nonce);
    expect((await meWith(asDpop(bound.secret, proof))).status).toBe(200);
    const replayed = await meWith(asDpop(bound.secret, proof));
    expectError(replayed, 401, 'INVALID_DPOP_PROOF');
    expect(replayed.headers['dpop-nonce']).toMatch(NONCE);
    const stale = await dpopProof(key, {
      method: 'GET',
      url: ME,
      token: bound.secret,
      iat: Math.floor(Date.now() / 1000) - 600,
      claims: { nonce },
    });
    const old = await meWith(asDpop(bound.secret, stale));
    expectError(old, 401, 'INVALID_DPOP_PROOF');
    expect(old.headers['dpop-nonce']).toMatch(NONCE);
    const plain = await meWith(asOwner(biz));
    expect(plain.status).toBe(200);
    expect(plain.headers).not.toHaveProperty('dpop-nonce');
  });

  it('asks an unknown or revoked token for no nonce: the token is refused first', async () => {
    const gone = await createToken(t, asOwner(biz), { name: 'gone', dpop_jkt: key.jkt });
    await t.http().delete(`/api/v1/tokens/${gone.id}`).set(asOwner(biz)).expect(200);
    expectError(await withNonce(gone, undefined), 401, 'TOKEN_REVOKED');
    const unknown = { ...gone, secret: `${gone.secret.slice(0, -8)}AAAAAAAA` };
    expect((await withNonce(unknown, undefined)).body.code).toBe('INVALID_TOKEN');
  });

  it('records no refused use for the dance, and spends no use of a limited token on it', async () => {
    const limited = await createToken(t, asOwner(biz), { dpop_jkt: key.jkt, uses_limit: 3 });
    const nonce = await firstNonce(limited);
    const taken = await withNonce(limited, nonce);
    expect(taken.body.data.token.uses_remaining).toBe(2);
    await t.app.get(RejectedUseRecorder).settle();
    const audit = await t
      .http()
      .get(`/api/v1/audit-events?action=token.rejected&target_id=${limited.id}`)
      .set(asOwner(biz))
      .expect(200);
    expect(audit.body.data.items).toEqual([]);
  });

  it('asks a proof on a creating request for a nonce too, and binds the new token once it has one', async () => {
    const create = async (nonce?: string) =>
      t
        .http()
        .post('/api/v1/tokens')
        .set({
          ...asOwner(biz),
          dpop: await dpopProof(key, {
            method: 'POST',
            url: '/api/v1/tokens',
            token: null,
            claims: nonce === undefined ? {} : { nonce },
          }),
        })
        .send({ name: 'proved' });
    const nonce = expectNonceAsked(await create());
    const created = await create(nonce);
    expect(created.status).toBe(201);
    expect(created.body.data.dpop_jkt).toBe(key.jkt);
    expect(created.headers['dpop-nonce']).toMatch(NONCE);
  });

  it('lets the token endpoint check a proof with the same nonces (checkForExchange)', async () => {
    const proofs = t.app.get(DpopProofs);
    const target = { method: 'POST', urls: [`${DPOP_BASE}/oauth2/token`] };
    const requestWith = (dpop?: string) =>
      ({ headers: dpop === undefined ? {} : { dpop } }) as unknown as FastifyRequest;
    const proof = (nonce?: string) =>
      dpopProof(key, {
        method: 'POST',
        url: '/oauth2/token',
        token: null,
        claims: nonce === undefined ? {} : { nonce },
      });
    expect(await proofs.checkForExchange(requestWith(), target)).toBeNull();
    const asked = await proofs.checkForExchange(requestWith(await proof()), target);
    expect(asked).toEqual({ error: 'use_dpop_nonce', nonce: expect.stringMatching(NONCE) });
    const good = await proof(asked!.nonce!);
    expect(await proofs.checkForExchange(requestWith(good), target)).toEqual({
      jkt: key.jkt,
      nonce: expect.stringMatching(NONCE),
    });
    expect(await proofs.checkForExchange(requestWith(good), target)).toEqual({
      error: 'invalid_dpop_proof',
      nonce: expect.stringMatching(NONCE),
    });
    const elsewhere = { method: 'POST', urls: [`${DPOP_BASE}/api/v1/tokens`] };
    expect(
      await proofs.checkForExchange(requestWith(await proof(asked!.nonce!)), elsewhere),
    ).toEqual({ error: 'invalid_dpop_proof', nonce: expect.stringMatching(NONCE) });
  });
});

/** Nonces need no store: one instance's is good on another that shares the installation's keys. */
describe.each(DRIVERS)('DPoP nonces across two instances on %s', (driver) => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await bootTestApp(driver, NONCES_ON);
    b = await bootTestApp(driver, NONCES_ON, a.db);
  });
  afterAll(async () => {
    await b?.close({ keepDatabase: true });
    await a?.close();
  });

  it("takes on B the nonce A issued, and on A the one B's answer hands on", async () => {
    const key = await dpopKey('EdDSA');
    const biz = await createBusiness(a);
    const token = await createToken(a, asOwner(biz), { dpop_jkt: key.jkt });
    const on = async (app: TestApp, nonce?: string) =>
      app
        .http()
        .get(ME)
        .set({
          ...asDpop(
            token.secret,
            await dpopProof(key, {
              method: 'GET',
              url: ME,
              token: token.secret,
              claims: nonce === undefined ? {} : { nonce },
            }),
          ),
          'x-business-id': biz.id,
        });
    const fromA = expectNonceAsked(await on(a));
    const onB = await on(b, fromA);
    expect(onB.status).toBe(200);
    expect((await on(a, onB.headers['dpop-nonce'])).status).toBe(200);
  });
});

const NGINX = {
  'x-original-method': 'GET',
  'x-original-uri': '/orders/17',
  'x-forwarded-host': 'api.example.com',
  'x-forwarded-proto': 'https',
};

/** `GET /auth/verify` holds the proofs of a gateway's clients to the same nonces. */
describe.each(DRIVERS)('DPoP nonces through a gateway on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver, { TRUST_PROXY: '127.0.0.1', DPOP_NONCE_REQUIRED: 'true' });
  });
  afterAll(() => t?.close());

  it('asks for a nonce, passes the retry with the next nonce, and refuses a forged one', async () => {
    const key = await dpopKey();
    const biz = await createBusiness(t);
    const token = await createToken(t, asOwner(biz), { dpop_jkt: key.jkt });
    const verify = async (nonce?: unknown) =>
      t
        .http()
        .get('/auth/verify')
        .set({
          ...asDpop(
            token.secret,
            await dpopProof(key, {
              method: 'GET',
              url: 'https://api.example.com/orders/17',
              token: token.secret,
              claims: nonce === undefined ? {} : { nonce },
            }),
          ),
          ...NGINX,
        });
    const nonce = expectNonceAsked(await verify());
    const passed = await verify(nonce);
    expect(passed.status).toBe(204);
    expect(passed.headers['x-latchkey-token-id']).toBe(token.id);
    expect(passed.headers['dpop-nonce']).toMatch(NONCE);
    expectNonceAsked(await verify(new DpopNonces(() => randomBytes(32)).issue()));
  });
});

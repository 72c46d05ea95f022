import { decodeJwt, generateKeyPair } from 'jose';
import type { AddressInfo } from 'node:net';
import { createLatchkeyClient, type LatchkeyClient } from '../../packages/client/src';
import { type DpopKeyPair, dpopMiddleware, dpopThumbprint } from '../../packages/client/src/dpop';
import { createBusiness } from '../factories/tenancy.factory';
import { bootTestApp, type TestApp } from '../harness/app/test-app';

/**
 * The typed client with a key-bound token (RFC 9449): `dpopMiddleware` signs a fresh proof for
 * every request, so a bound token is used as a bearer one is; the same client without it is
 * refused, as anyone holding the string alone would be.
 */
describe('the typed client with a DPoP-bound token', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await bootTestApp('sqlite');
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => t?.close());

  it.each(['ES256', 'EdDSA'] as const)('makes and uses a token bound to an %s key', async (alg) => {
    const biz = await createBusiness(t);
    const key: DpopKeyPair = { ...(await generateKeyPair(alg)), alg };
    const owner = createLatchkeyClient(base, { token: biz.ownerToken, businessId: biz.id });
    const made = await owner.POST('/api/v1/tokens', {
      body: { name: `bound ${alg}`, dpop_jkt: await dpopThumbprint(key) },
    });
    expect(made.response.status).toBe(201);
    const secret = made.data!.data.token;

    const bound = createLatchkeyClient(base, { token: secret, businessId: biz.id });
    const refused = await bound.GET('/api/v1/me');
    expect(refused.response.status).toBe(401);
    expect(refused.response.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);

    bound.use(await dpopMiddleware(secret, key));
    for (let i = 0; i < 3; i++) {
      const me = await bound.GET('/api/v1/me');
      expect(me.response.status).toBe(200);
      expect(me.data!.data.token.dpop_jkt).toBe(await dpopThumbprint(key));
    }
    const rotated = await bound.POST('/api/v1/tokens/{token_id}/rotate', {
      params: { path: { token_id: made.data!.data.id } },
      body: { grace_period_seconds: 0 },
    });
    expect(rotated.response.status).toBe(201);
    expect(rotated.data!.data.dpop_jkt).toBe(await dpopThumbprint(key));
  });
});

/** One call the client made: what it asked, with which nonce in its proof, and the answer. */
interface Sent {
  call: string;
  nonce: unknown;
  status: number;
}

/** The calls `client` makes, through a fetch that notes each: retries included. */
function counted(make: () => LatchkeyClient): { client: LatchkeyClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const realFetch = globalThis.fetch;
  // openapi-fetch takes globalThis.fetch when the client is made, and keeps it.
  globalThis.fetch = async (input, init) => {
    const request = input as Request;
    const response = await realFetch(input, init);
    const proof = request.headers.get('dpop');
    sent.push({
      call: `${request.method} ${new URL(request.url).pathname}`,
      nonce: proof ? decodeJwt(proof).nonce : undefined,
      status: response.status,
    });
    return response;
  };
  try {
    return { client: make(), sent };
  } finally {
    globalThis.fetch = realFetch;
  }
}

/**
 * With DPOP_NONCE_REQUIRED (RFC 9449 §8), `dpopMiddleware` meets the first refusal that asks for
 * a nonce by sending the request again with it, body and all, and every later request carries the
 * latest nonce the server handed on, so it is not refused again.
 */
describe('the typed client with a DPoP-bound token, when the server requires nonces', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await bootTestApp('sqlite', { DPOP_NONCE_REQUIRED: 'true' });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => t?.close());

  /** A token bound to a new key, and a client that uses it through the middleware, counted. */
  async function boundClient() {
    const biz = await createBusiness(t);
    const key: DpopKeyPair = { ...(await generateKeyPair('ES256')), alg: 'ES256' };
    const owner = createLatchkeyClient(base, { token: biz.ownerToken, businessId: biz.id });
    const made = await owner.POST('/api/v1/tokens', {
      body: { name: 'bound', dpop_jkt: await dpopThumbprint(key) },
    });
    const secret = made.data!.data.token;
    const middleware = await dpopMiddleware(secret, key);
    const counting = counted(() =>
      createLatchkeyClient(base, { token: secret, businessId: biz.id }),
    );
    counting.client.use(middleware);
    return { ...counting, jkt: await dpopThumbprint(key) };
  }

  const NONCE = expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown as string;

  it('a POST with a body, knowing no nonce, is refused once, sent again whole, and made', async () => {
    const { client, sent, jkt } = await boundClient();
    const made = await client.POST('/api/v1/tokens', { body: { name: 'made with a nonce' } });
    expect(made.response.status).toBe(201);
    // The body reached the server on the retry: the token has its name, and the proof's key.
    expect(made.data!.data).toMatchObject({ name: 'made with a nonce', dpop_jkt: jkt });
    expect(sent).toEqual([
      { call: 'POST /api/v1/tokens', nonce: undefined, status: 401 },
      { call: 'POST /api/v1/tokens', nonce: NONCE, status: 201 },
    ]);
    // The next proof carries the latest nonce handed on: the 201's, which is the retry's own
    // unless the server's nonce window turned between the two.
    const latest = made.response.headers.get('dpop-nonce');
    expect(latest).toEqual(NONCE);
    const me = await client.GET('/api/v1/me');
    expect(me.response.status).toBe(200);
    expect(sent.slice(2)).toEqual([{ call: 'GET /api/v1/me', nonce: latest, status: 200 }]);
  });

  it('a GET, knowing no nonce, is refused once and sent again; the next reuses the nonce', async () => {
    const { client, sent } = await boundClient();
    const first = await client.GET('/api/v1/me');
    expect(first.response.status).toBe(200);
    expect(first.data!.data.token.name).toBe('bound');
    const second = await client.GET('/api/v1/me');
    expect(second.response.status).toBe(200);
    expect(sent.map((s) => s.status)).toEqual([401, 200, 200]);
    expect(sent[0].nonce).toBeUndefined();
    expect(sent[1].nonce).toEqual(NONCE);
    expect(sent[2].nonce).toBe(first.response.headers.get('dpop-nonce'));
  });

  it('never asks twice for one request, nor again for the nonce it was just refused with', async () => {
    const key: DpopKeyPair = { ...(await generateKeyPair('EdDSA')), alg: 'EdDSA' };
    const client = createLatchkeyClient(base, { token: 'lk_unused' });
    client.use(await dpopMiddleware('lk_unused', key));
    // A server that refuses every proof, handing on these nonces, then the last one again.
    const handed = ['n1', 'n2', 'n3', 'n3'];
    const bodies: string[] = [];
    const nonces: unknown[] = [];
    const refusing: typeof fetch = async (input) => {
      const request = input as Request;
      bodies.push(await request.text());
      nonces.push(decodeJwt(request.headers.get('dpop')!).nonce);
      const nonce = handed[Math.min(nonces.length, handed.length) - 1];
      return new Response('{}', {
        status: 401,
        headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': nonce },
      });
    };
    const body = { name: 'never made' };
    const post = await client.POST('/api/v1/tokens', { body, fetch: refusing });
    expect(post.response.status).toBe(401);
    // Sent again once, with its body: the retry's answer is the caller's, however it reads.
    expect(bodies).toEqual([JSON.stringify(body), JSON.stringify(body)]);
    expect(nonces).toEqual([undefined, 'n1']);
    await client.GET('/api/v1/me', { fetch: refusing });
    expect(nonces).toEqual([undefined, 'n1', 'n2', 'n3']);
    // Refused with the nonce it carried: sending it again would be refused alike.
    const stuck = await client.GET('/api/v1/me', { fetch: refusing });
    expect(stuck.response.status).toBe(401);
    expect(nonces).toEqual([undefined, 'n1', 'n2', 'n3', 'n3']);
  });
});

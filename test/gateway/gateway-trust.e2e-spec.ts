import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Test } from 'supertest';
import { mintSecret } from '../../src/tokens/token-secret';
import {
  BusinessFixture,
  createMachine,
  createToken,
  createUnexpiringBusiness,
  IssuedToken,
} from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * GET /auth/verify trusts the gateway, not its clients: an optional shared secret
 * decides who may ask at all; the client address every check uses (a token's networks, the
 * limits, the failed-auth budget) is the one TRUST_PROXY believes, so one client behind the
 * gateway never spends another's budget, and no client names its own address; every limit is
 * 429 with Retry-After; and nothing a caller writes in a header comes back in one.
 */

const SECRET = 'gw-secret-5f0c2a9e71d34b86';
const unknown = () => mintSecret('lk').secret;

let clients = 0;
/** A fresh client address, as a gateway forwards it. */
const nextClient = () => `198.19.${Math.floor(++clients / 250)}.${(clients % 250) + 1}`;

/** One raw request on its own connection; answers the status line and header lines. */
function rawRequest(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('end', () => resolve(answer.split('\r\n\r\n')[0]));
    socket.on('error', reject);
    socket.write(Buffer.from([...lines, 'Connection: close', '', ''].join('\r\n'), 'latin1'));
  });
}

const retryAfterOf = (res: { headers: Record<string, string> }) => res.headers['retry-after'];

function expectLimited(res: Awaited<Test>): void {
  expect({ status: res.status, code: res.body.code }).toEqual({
    status: 429,
    code: 'RATE_LIMITED',
  });
  expect(retryAfterOf(res)).toMatch(/^[1-9]\d*$/);
  expect(Object.keys(res.headers).filter((h) => h.startsWith('x-latchkey-'))).toEqual([]);
}

describe.each(DRIVERS)('GET /auth/verify trusts the gateway, not its clients, on %s', (driver) => {
  describe('VERIFY_GATEWAY_SECRET and VERIFY_TOKEN_HEADER=X-API-Key', () => {
    let t: TestApp;
    let biz: BusinessFixture;
    beforeAll(async () => {
      t = await bootTestApp(driver, {
        TRUST_PROXY: '127.0.0.1',
        VERIFY_GATEWAY_SECRET: SECRET,
        VERIFY_TOKEN_HEADER: 'X-API-Key',
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '4',
      });
      biz = await createUnexpiringBusiness(t);
    });
    afterAll(() => t?.close());

    const SECRETS = {
      absent: undefined,
      wrong: 'not-the-gateway-secret',
      'same length, last character changed': `${SECRET.slice(0, -1)}0`,
      'a prefix of it': SECRET.slice(0, 16),
      'it, and more': `${SECRET}x`,
      'in another case': SECRET.toUpperCase(),
      right: SECRET,
    } as const;
    const CREDENTIALS = [
      'valid X-API-Key',
      'unknown X-API-Key',
      'empty X-API-Key',
      'none',
      'valid token as Authorization: Bearer only',
    ] as const;
    const rows = (Object.keys(SECRETS) as (keyof typeof SECRETS)[]).flatMap((secret) =>
      CREDENTIALS.map((credential) => {
        const want =
          secret !== 'right'
            ? { status: 403, code: 'GATEWAY_NOT_TRUSTED' }
            : credential === 'valid X-API-Key'
              ? { status: 204, code: undefined }
              : { status: 401, code: 'INVALID_TOKEN' };
        return [secret, credential, want] as const;
      }),
    );

    it.each(rows)('gateway secret %s, %s: %j', async (secret, credential, want) => {
      const req = t.http().get('/auth/verify').set('x-forwarded-for', nextClient());
      const sent = SECRETS[secret];
      if (sent !== undefined) req.set('x-latchkey-gateway-secret', sent);
      if (credential === 'valid X-API-Key') req.set('x-api-key', biz.ownerToken);
      if (credential === 'unknown X-API-Key') req.set('x-api-key', unknown());
      if (credential === 'empty X-API-Key') req.set('x-api-key', '');
      if (credential === 'valid token as Authorization: Bearer only') {
        req.set('authorization', `Bearer ${biz.ownerToken}`);
      }
      const res = await req;
      expect({ status: res.status, code: res.body?.code }).toEqual(want);
      // The secret is never echoed, whatever was sent.
      expect(JSON.stringify(res.headers) + res.text).not.toContain(SECRET);
      expect(JSON.stringify(res.headers) + res.text).not.toContain(SECRET.slice(0, 16));
    });

    it('reads X-API-Key alone when Authorization carries something else for the upstream', async () => {
      const res = await t
        .http()
        .get('/auth/verify')
        .set('x-latchkey-gateway-secret', SECRET)
        .set('x-api-key', biz.ownerToken)
        .set('authorization', 'Basic dXBzdHJlYW06b3du')
        .expect(204);
      expect(res.headers['x-latchkey-business-id']).toBe(biz.id);
    });

    it('refuses a token sent twice (the values arrive joined), and says which header is missing', async () => {
      const twice = await t
        .http()
        .get('/auth/verify')
        .set('x-latchkey-gateway-secret', SECRET)
        .set('x-forwarded-for', nextClient())
        // Node sends an array as the header twice; supertest's types allow it for Cookie alone.
        .set('x-api-key', [biz.ownerToken, biz.ownerToken] as unknown as string);
      expect(twice.status).toBe(401);
      const none = await t
        .http()
        .get('/auth/verify')
        .set('x-latchkey-gateway-secret', SECRET)
        .set('x-forwarded-for', nextClient());
      expect(none.body.detail).toBe('Missing or empty x-api-key header');
    });

    it("spends the forwarded client's failed-auth budget on a wrong secret, and no one else's", async () => {
      const caller = nextClient();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await t
          .http()
          .get('/auth/verify')
          .set('x-forwarded-for', caller)
          .set('x-latchkey-gateway-secret', `wrong-${i}-${SECRET}`)
          .set('x-api-key', biz.ownerToken);
        statuses.push(res.status);
      }
      // Four failures are the budget; the fifth is refused as over it.
      expect(statuses).toEqual([403, 403, 403, 403, 429]);
      // Spent: now even the right secret and a valid token wait out the window.
      expectLimited(
        await t
          .http()
          .get('/auth/verify')
          .set('x-forwarded-for', caller)
          .set('x-latchkey-gateway-secret', SECRET)
          .set('x-api-key', biz.ownerToken),
      );
      await t
        .http()
        .get('/auth/verify')
        .set('x-forwarded-for', nextClient())
        .set('x-latchkey-gateway-secret', SECRET)
        .set('x-api-key', biz.ownerToken)
        .expect(204);
    });
  });

  describe('behind a trusted gateway (TRUST_PROXY=127.0.0.1), with limits on', () => {
    let t: TestApp;
    let biz: BusinessFixture;
    let bound: IssuedToken;
    beforeAll(async () => {
      t = await bootTestApp(driver, {
        TRUST_PROXY: '127.0.0.1',
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3',
        RATE_LIMIT_IDENTITY_PER_MINUTE: '12',
      });
      biz = await createUnexpiringBusiness(t);
      bound = await createToken(t, asOwner(biz), { allowed_cidrs: ['10.0.0.0/8'] });
    });
    afterAll(() => t?.close());

    const verify = (secret: string, xff?: string) => {
      const req = t.http().get('/auth/verify').set('authorization', `Bearer ${secret}`);
      return xff === undefined ? req : req.set('x-forwarded-for', xff);
    };

    it.each([
      ['10.1.2.3', 204],
      ['192.0.2.1', 403],
      // The client wrote the left entry, the gateway appended the right one: the right one counts.
      ['10.1.2.3, 192.0.2.2', 403],
      ['192.0.2.3, 10.1.2.3', 204],
      // No forwarded address: the gateway's own, which is not in the token's networks.
      [undefined, 403],
    ])('holds a token bound to 10.0.0.0/8 to the forwarded address %j: %i', async (xff, status) => {
      const res = await verify(bound.secret, xff);
      expect(res.status).toBe(status);
      if (status === 403) expect(res.body.code).toBe('IP_NOT_ALLOWED');
    });

    it('gives each forwarded client its own failed-auth budget, which its left-hand entries cannot reset', async () => {
      const spender = '203.0.113.10';
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await verify(unknown(), spender)).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      expectLimited(await verify(biz.ownerToken, spender));
      expectLimited(await verify(biz.ownerToken, `6.6.6.${clients % 250}, ${spender}`));
      // Another client of the same gateway, and the gateway itself, are not held to it.
      await verify(biz.ownerToken, '203.0.113.11').expect(204);
      expect((await verify(unknown(), '203.0.113.11')).status).toBe(401);
      await verify(biz.ownerToken).expect(204);
    });

    it("answers 429 with Retry-After once a token's own limit is spent", async () => {
      const limited = await createToken(t, asOwner(biz), { rate_limit_per_minute: 2 });
      await verify(limited.secret, nextClient()).expect(204);
      await verify(limited.secret, nextClient()).expect(204);
      expectLimited(await verify(limited.secret, nextClient()));
    });

    it("answers 429 with Retry-After once the holder identity's limit is spent, whatever token it uses", async () => {
      const machine = await createMachine(t, biz);
      const first = await createToken(t, asOwner(biz), { identity_id: machine.id });
      const second = await createToken(t, asOwner(biz), { identity_id: machine.id });
      for (let i = 0; i < 12; i++) {
        await verify(i % 2 ? first.secret : second.secret, nextClient()).expect(204);
      }
      expectLimited(await verify(second.secret, nextClient()));
    });
  });

  describe('behind no trusted proxy (TRUST_PROXY=false): X-Forwarded-For changes nothing', () => {
    let t: TestApp;
    let biz: BusinessFixture;
    beforeAll(async () => {
      t = await bootTestApp(driver, { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' });
      biz = await createUnexpiringBusiness(t);
    });
    afterAll(() => t?.close());

    const verify = (secret: string, xff: string) =>
      t
        .http()
        .get('/auth/verify')
        .set('authorization', `Bearer ${secret}`)
        .set('x-forwarded-for', xff);

    it("holds a token's networks to the peer's address, not to the one the client names", async () => {
      const tenNet = await createToken(t, asOwner(biz), { allowed_cidrs: ['10.0.0.0/8'] });
      const loopback = await createToken(t, asOwner(biz), { allowed_cidrs: ['127.0.0.1/32'] });
      expect((await verify(tenNet.secret, '10.1.2.3')).body.code).toBe('IP_NOT_ALLOWED');
      await verify(loopback.secret, '192.0.2.9').expect(204);
    });

    it('keeps one budget for the peer, however the client varies X-Forwarded-For', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await verify(unknown(), `10.7.${i}.1`)).status);
      // The test above spent one failure (IP_NOT_ALLOWED) of the peer's three already.
      expect(statuses).toEqual([401, 401, 429, 429, 429]);
      expectLimited(await verify(biz.ownerToken, '10.7.9.9'));
    });
  });

  describe('headers a caller writes', () => {
    let t: TestApp;
    let biz: BusinessFixture;
    let port: number;
    beforeAll(async () => {
      t = await bootTestApp(driver, { TRUST_PROXY: '127.0.0.1' });
      biz = await createUnexpiringBusiness(t);
      await t.app.listen(0, '127.0.0.1');
      port = (t.app.getHttpServer().address() as AddressInfo).port;
    });
    afterAll(() => t?.close());

    const scoped = (scope: string) =>
      t
        .http()
        .get('/auth/verify')
        .set('authorization', `Bearer ${biz.ownerToken}`)
        .set('x-latchkey-require-scope', scope);

    it.each([
      'orders:read", error="none',
      'orders:read\\", scope="',
      "orders:read'",
      'orders:read;q=1',
      'ordérs:read',
      Array.from({ length: 51 }, (_, i) => `s${i}`).join(' '),
    ])(
      'refuses the required scopes %j with 422, and never echoes them in a header',
      async (scope) => {
        const res = await scoped(scope);
        expect(res.status).toBe(422);
        expect(res.body.detail[0].loc).toEqual(['header', 'x-latchkey-require-scope']);
        expect(res.headers['www-authenticate']).toBeUndefined();
      },
    );

    it.each(['x-latchkey-business', 'x-business-id'])(
      'never says back a token put in %s, and clips what it echoes',
      async (name) => {
        const route = name === 'x-business-id' ? '/api/v1/me' : '/auth/verify';
        const leaked = mintSecret('lk').secret;
        for (const value of [leaked, `${biz.id}${leaked}`, 'x'.repeat(4000)]) {
          const res = await t
            .http()
            .get(route)
            .set('authorization', `Bearer ${biz.ownerToken}`)
            .set(name, value);
          expect(res.status).toBe(422);
          expect(res.body.detail[0].loc).toEqual(['header', name]);
          expect(res.text).not.toContain(leaked);
          expect(String(res.body.detail[0].input).length).toBeLessThanOrEqual(65);
        }
      },
    );

    it.each([
      // obs-fold: a continuation line that would smuggle a header into a naive parser.
      'X-Latchkey-Require-Scope: orders:read\r\n X-Evil: 1',
      'X-Latchkey-Require-Scope: orders:read\rX-Evil: 1',
      'X-Latchkey-Require-Scope: orders:read\nX-Evil: 1',
      'X-Latchkey-Business: \u00e9\u00e9',
      'X-Latchkey-Require-Scope: billing:write\u0000',
    ])('a raw request with %j splits nothing in the answer', async (extra) => {
      const head = await rawRequest(port, [
        'GET /auth/verify HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${biz.ownerToken}`,
        extra,
      ]);
      const status = Number(head.split(' ')[1]);
      expect([400, 422]).toContain(status);
      expect(head.toLowerCase()).not.toContain('x-evil');
      for (const line of head.split('\r\n')) expect(line).toMatch(/^[\x20-\x7e]*$/);
    });
  });
});

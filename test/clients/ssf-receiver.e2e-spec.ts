import { getRequestListener } from '@hono/node-server';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { generateKeyPair, SignJWT } from 'jose';
import type { RequestListener } from 'node:http';
import * as expressClient from '../../packages/client/src/express';
import * as fastifyClient from '../../packages/client/src/fastify';
import { LatchkeyHttp } from '../../packages/client/src/edge/http';
import { JwksKeys } from '../../packages/client/src/edge/jwks-keys';
import * as honoClient from '../../packages/client/src/hono';
import { LatchkeyModule, RequireScopes } from '../../packages/client/src/nestjs';
import { EdgeVerifier, SsfReceiver } from '../../packages/client/src/verifier';
import {
  addMember,
  BusinessFixture,
  createToken,
  createUnexpiringBusiness,
  IssuedToken,
} from '../factories/tenancy.factory';
import { asMember, asOwner, revoke } from '../harness/app/api';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { freePort } from '../harness/ports';
import { lastReading, PATIENCE_MS } from '../harness/patience';
import { httpGet, serve } from './middleware-fixtures';

/**
 * The client package's Shared Signals receiver, mounted in an app of each framework beside the
 * middleware, against the real Latchkey pushing to it: a revocation, a pause or a narrowing drops
 * the token the app holds in memory, where the status list (an hour's `ttl` here) and the claims
 * (an hour) would have let it pass. A forged, foreign, replayed or unauthenticated push changes
 * nothing.
 */

const HOUR = 3600;
/** The apps the table starts that listen themselves, closed with the rest. */
const appClosers: (() => Promise<void>)[] = [];
const EVENTS = '/latchkey/events';
type Mount = (receiver: SsfReceiver, verifier: EdgeVerifier) => RequestListener | Promise<string>;

@Controller()
class NestRoutes {
  @Get('whoami')
  whoami() {
    return { ok: true };
  }

  @Get('orders')
  @RequireScopes('orders:read')
  orders() {
    return {};
  }
}

/** Each framework's app: the middleware on `/whoami` and `/orders`, the receiver at EVENTS. */
const FRAMEWORKS: [string, Mount][] = [
  [
    'Express',
    (receiver, verifier) => {
      const app = express();
      app.post(EVENTS, expressClient.latchkeyEvents(receiver));
      app.use(expressClient.latchkey({ verifier }));
      app.get('/whoami', (_req, res) => res.json({ ok: true }));
      app.get('/orders', expressClient.requireScopes('orders:read'), (_req, res) => res.json({}));
      return app;
    },
  ],
  [
    'Fastify',
    async (receiver, verifier) => {
      const app = Fastify();
      await app.register(fastifyClient.latchkey, { verifier });
      await app.register(fastifyClient.latchkeyEvents, { receiver });
      app.get('/whoami', () => Promise.resolve({ ok: true }));
      const orders = { preHandler: fastifyClient.requireScopes('orders:read') };
      app.get('/orders', orders, () => Promise.resolve({}));
      appClosers.push(() => app.close());
      return app.listen({ port: 0, host: '127.0.0.1' });
    },
  ],
  [
    'NestJS (Fastify), the receiver on its adapter',
    async (receiver, verifier) => {
      @Module({ imports: [LatchkeyModule.forRoot({ verifier })], controllers: [NestRoutes] })
      class NestApp {}
      const app = await NestFactory.create<NestFastifyApplication>(NestApp, new FastifyAdapter(), {
        logger: false,
      });
      await app.getHttpAdapter().getInstance().register(fastifyClient.latchkeyEvents, { receiver });
      await app.listen(0, '127.0.0.1');
      appClosers.push(() => app.close());
      return app.getUrl();
    },
  ],
  [
    'Hono',
    (receiver, verifier) => {
      const app = new Hono<honoClient.LatchkeyEnv>();
      app.post(EVENTS, honoClient.latchkeyEvents(receiver));
      app.use(honoClient.latchkey({ verifier }));
      app.get('/whoami', (c) => c.json({ ok: true }));
      app.get('/orders', honoClient.requireScopes('orders:read'), (c) => c.json({}));
      const listener = getRequestListener(app.fetch);
      return (req, res) => void listener(req, res);
    },
  ],
];

describe('Shared Signals at an app, through the client package', () => {
  let t: TestApp;
  let base: string;
  let biz: BusinessFixture;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await bootTestApp('sqlite', {
      PUBLIC_BASE_URL: base,
      STATUS_LIST_TTL_SECONDS: String(HOUR),
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_RETRY_SCHEDULE: '50ms,50ms',
    });
    await t.app.listen(port, '127.0.0.1');
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(async () => {
    for (const close of [...closers, ...appClosers]) await close();
    await t?.close();
  });

  /** An app of the framework with its verifier and receiver, its stream registered as the owner. */
  async function startApp(mount: Mount) {
    const verifier = new EdgeVerifier({ baseUrl: base, claimsMaxAgeSeconds: HOUR });
    const receiver = new SsfReceiver({ baseUrl: base, verifier });
    const listening = await mount(receiver, verifier);
    const origin =
      typeof listening === 'string' ? listening : await serve(listening).then(keep(closers));
    const stream = await receiver.register({
      token: biz.ownerToken,
      endpointUrl: `${origin}${EVENTS}`,
    });
    const get = (path: string, token: IssuedToken) =>
      httpGet(origin, path, { authorization: `Bearer ${token.secret}` });
    return { verifier, receiver, origin, stream, get };
  }

  /** Waits (bounded) until the receiver has taken `count` SETs in all. */
  async function pushed(receiver: SsfReceiver, count: number): Promise<void> {
    const accepted = () => receiver.stats().accepted;
    expect(await lastReading(accepted, (n) => n >= count, 25)).toBeGreaterThanOrEqual(count);
  }

  describe.each(FRAMEWORKS)('in %s', (_name, mount) => {
    it('refuses a token once it is revoked, paused or narrowed, which memory alone would pass', async () => {
      const app = await startApp(mount);
      const control = new EdgeVerifier({ baseUrl: base, claimsMaxAgeSeconds: HOUR });
      const [revoked, paused, narrowed] = [
        await createToken(t, asOwner(biz), { name: 'to-revoke' }),
        await createToken(t, asOwner(biz), { name: 'to-pause' }),
        await createToken(t, asOwner(biz), { name: 'to-narrow', scopes: ['orders:read'] }),
      ];
      for (const token of [revoked, paused, narrowed]) {
        expect((await app.get('/whoami', token)).status).toBe(200);
        // Twice: Latchkey is asked first, then the token's status list is fetched.
        for (let i = 0; i < 2; i++) expect((await control.verify(token.secret)).valid).toBe(true);
      }
      expect((await app.get('/orders', narrowed)).status).toBe(200);
      const seen = app.receiver.stats().accepted;

      await revoke(t, asOwner(biz), revoked.id).expect(201);
      const path = (token: IssuedToken) => `/api/v1/tokens/${token.id}`;
      await t
        .http()
        .post(`${path(paused)}/disable`)
        .set(asOwner(biz))
        .send({})
        .expect(200);
      await t.http().patch(path(narrowed)).set(asOwner(biz)).send({ scopes: [] }).expect(200);
      await pushed(app.receiver, seen + 3);

      expect((await app.get('/whoami', revoked)).body).toMatchObject({ code: 'TOKEN_REVOKED' });
      expect((await app.get('/whoami', paused)).status).toBe(401);
      expect((await app.get('/orders', narrowed)).status).toBe(403);
      // Without a receiver, what the app learnt stands until its list's ttl: the bound the README names.
      expect((await control.verify(revoked.secret)).valid).toBe(true);
    });
  });

  it('reads the key set once for checks that arrive together, and each finds its key', async () => {
    let reads = 0;
    const counting: typeof fetch = (input, init) => {
      reads++;
      return fetch(input, init);
    };
    const keys = new JwksKeys(
      `${base}/.well-known/jwks.json`,
      new LatchkeyHttp(counting, 3000),
      Date.now,
    );
    const { kid } = (await t.http().get('/.well-known/jwks.json').expect(200)).body.keys[0];
    const header = { alg: 'ES256', kid: kid as string };
    await expect(Promise.all([keys.resolve(header), keys.resolve(header)])).resolves.toHaveLength(
      2,
    );
    expect(reads).toBe(1);
  });

  describe('the attacker', () => {
    let app: Awaited<ReturnType<typeof startApp>>;
    /** A member's token the app holds: the owner's changes below are another holder's. */
    let token: IssuedToken;
    let member: { identityId: string; token: string };
    const other = new WebhookReceiver();

    beforeAll(async () => {
      app = await startApp(FRAMEWORKS[0][1]);
      member = await addMember(t, biz, 'member');
      await other.start();
      closers.push(() => other.stop());
    });
    beforeEach(async () => {
      token = await createToken(t, asMember(member.token, biz.id));
      expect((await app.get('/whoami', token)).status).toBe(200);
    });

    const push = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${app.origin}${EVENTS}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/secevent+jwt',
          authorization: app.stream.authorization,
          ...headers,
        },
        body,
      });
    /** The token still passes from memory: nothing the push said was taken. */
    const stillHeld = async () => {
      const before = app.verifier.stats().onlineVerifies;
      expect((await app.get('/whoami', token)).status).toBe(200);
      expect(app.verifier.stats().onlineVerifies).toBe(before);
    };
    /** A SET of the token's holder, signed by `key` under Latchkey's own key id. */
    const setFor = async (claims: Record<string, unknown>) => {
      const jwks = (await t.http().get('/.well-known/jwks.json').expect(200)).body as {
        keys: { kid: string }[];
      };
      const { privateKey } = await generateKeyPair('ES256');
      return new SignJWT({
        events: { 'https://schemas.openid.net/secevent/caep/event-type/credential-change': {} },
        sub_id: {
          format: 'complex',
          tenant: { format: 'opaque', id: biz.id },
          user: { format: 'opaque', id: token.view.identity_id },
        },
        jti: `forged-${token.id}`,
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'secevent+jwt', kid: jwks.keys[0].kid })
        .setIssuedAt()
        .setIssuer(base)
        .setAudience(app.stream.audience)
        .sign(privateKey);
    };

    it('refuses a SET signed by another key (400 invalid_key)', async () => {
      const res = await push(await setFor({}));
      expect([res.status, ((await res.json()) as { err: string }).err]).toEqual([
        400,
        'invalid_key',
      ]);
      await stillHeld();
    });

    it("refuses Latchkey's own SET for another business's stream (400 invalid_audience)", async () => {
      const elsewhere = await createUnexpiringBusiness(t);
      await t
        .http()
        .post('/ssf/v1/streams')
        .set({ authorization: `Bearer ${elsewhere.ownerToken}` })
        .send({
          delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: other.url },
          events_requested: [
            'https://schemas.openid.net/secevent/caep/event-type/credential-change',
          ],
        })
        .expect(201);
      const victim = await createToken(t, asOwner(elsewhere));
      await revoke(t, asOwner(elsewhere), victim.id).expect(201);
      await other.waitFor((all) => all.length > 0, PATIENCE_MS);
      const { accepted } = app.receiver.stats();
      const res = await push(other.received[0].body);
      expect([res.status, ((await res.json()) as { err: string }).err]).toEqual([
        400,
        'invalid_audience',
      ]);
      expect(app.receiver.stats().accepted).toBe(accepted);
      await stillHeld();
    });

    it('takes a replayed SET once: the replay drops nothing', async () => {
      const bodies: string[] = [];
      const receive = app.receiver.receive.bind(app.receiver);
      const spy = jest.spyOn(app.receiver, 'receive').mockImplementation((p) => {
        bodies.push(typeof p.body === 'string' ? p.body : Buffer.from(p.body ?? []).toString());
        return receive(p);
      });
      try {
        const seen = app.receiver.stats().accepted;
        const victim = await createToken(t, asMember(member.token, biz.id));
        // Its SET drops the holder's tokens, `token` among them, once.
        await t
          .http()
          .post(`/api/v1/tokens/${victim.id}/disable`)
          .set(asOwner(biz))
          .send({})
          .expect(200);
        await pushed(app.receiver, seen + 1);
        expect((await app.get('/whoami', token)).status).toBe(200);
        const { dropped } = app.receiver.stats();
        const res = await push(bodies[bodies.length - 1]);
        expect(res.status).toBe(202);
        expect(app.receiver.stats()).toMatchObject({ accepted: seen + 1, dropped });
        await stillHeld();
      } finally {
        spy.mockRestore();
      }
    });

    it.each([
      ['no credential', { authorization: '' }, 401, 'authentication_failed'],
      ['another credential', { authorization: 'Bearer guessed' }, 401, 'authentication_failed'],
      ['another media type', { 'content-type': 'text/plain' }, 400, 'invalid_request'],
    ])('refuses a push with %s', async (_case, headers, status, err) => {
      const res = await push(await setFor({}), headers);
      expect([res.status, ((await res.json()) as { err: string }).err]).toEqual([status, err]);
      await stillHeld();
    });

    it('refuses a body larger than a SET without reading it whole', async () => {
      const res = await push('x'.repeat(1024 * 1024));
      expect(res.status).toBe(400);
      await stillHeld();
    });
  });
});

const keep =
  (closers: (() => Promise<void>)[]) =>
  ({ origin, close }: { origin: string; close: () => Promise<void> }) => {
    closers.push(close);
    return origin;
  };

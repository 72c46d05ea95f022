import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
} from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * The findings of a hostile-input review, one test each: text that is not well-formed, NUL,
 * tampered cursors, deep JSON, empty and form bodies. Each failed on the driver that showed it
 * before the boundary was hardened. The spec-driven fuzz suite (fuzz-surface.ts) covers the
 * rest of the input space.
 */

const LONE = '\ud800';
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A 422 with an issue located at `loc`. */
function expect422At(res: Response, loc: (string | number)[], code = 'VALIDATION_ERROR'): void {
  expectError(res, 422, code);
  expect((res.body.detail as { loc: unknown[] }[]).map((d) => d.loc)).toContainEqual(loc);
}

describe.each(DRIVERS)('hostile input on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let member: { token: string };
  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    biz = await createBusiness(t);
    member = await addMember(t, biz, 'member');
  });
  afterAll(() => t?.close());

  /** Sends `body` as raw JSON text, so that lone surrogates arrive as `\ud800` escapes. */
  const rawJson = (method: 'post' | 'patch', path: string, headers: object, body: unknown) =>
    t
      .http()
      [method](path)
      .set({ ...headers, 'content-type': 'application/json' })
      .send(JSON.stringify(body));

  const verifyBusiness = async () =>
    (await t.http().get('/api/v1/audit-events/verify').set(asOwner(biz)).expect(200)).body.data as {
      valid: boolean;
    };
  const verifyPlatform = async () =>
    (await t.http().get('/platform/v1/audit-events/verify').set(asPlatform(t)).expect(200)).body
      .data as { valid: boolean };

  describe('text that is not well-formed, or holds NUL, is 422 for its field', () => {
    it('a lone surrogate in a token name is refused, and the chain stays valid', async () => {
      const res = await rawJson('post', '/api/v1/tokens', asMember(member.token, biz.id), {
        name: `x${LONE}y`,
        scopes: [],
      });
      expect422At(res, ['body', 'name']);
      expect(res.body.detail[0]).not.toHaveProperty('input');
      expect(await verifyBusiness()).toMatchObject({ valid: true });
    });

    it('a lone surrogate in a business name is refused, and the platform chain stays valid', async () => {
      const res = await rawJson('post', '/platform/v1/businesses', asPlatform(t), {
        name: `Acme${LONE}`,
        owner_email: 'o@surrogate.test',
      });
      expect422At(res, ['body', 'name']);
      expect(await verifyPlatform()).toMatchObject({ valid: true });
    });

    it.each([
      ['/platform/v1/businesses', 'owner_email', { name: 'Acme' }, 'platform'],
      ['/platform/v1/admins', 'email', {}, 'platform'],
      ['/api/v1/members', 'email', { role: 'member' }, 'owner'],
    ] as const)(
      'an email with a lone surrogate on %s is 422, not 500',
      async (path, field, rest, who) => {
        const headers = who === 'platform' ? asPlatform(t) : asOwner(biz);
        const res = await rawJson('post', path, headers, { ...rest, [field]: `a${LONE}@b.test` });
        expect422At(res, ['body', field]);
      },
    );

    it('NUL is refused in a query, a token name, a revoke reason and a business name', async () => {
      const owner = asOwner(biz);
      const tok = await createToken(t, asOwner(biz));
      expect422At(await t.http().get('/api/v1/tokens').query({ name: 'a\u0000b' }).set(owner), [
        'query',
        'name',
      ]);
      expect422At(await rawJson('post', '/api/v1/tokens', owner, { name: 'a\u0000b' }), [
        'body',
        'name',
      ]);
      expect422At(
        await rawJson('post', `/api/v1/tokens/${tok.id}/revoke`, owner, { reason: 'x\u0000' }),
        ['body', 'reason'],
      );
      expect422At(
        await rawJson('post', '/platform/v1/businesses', asPlatform(t), {
          name: 'N\u0000L',
          owner_email: 'nul@example.test',
        }),
        ['body', 'name'],
      );
    });

    it('a nested field names its place', async () => {
      const res = await rawJson('post', '/api/v1/tokens', asOwner(biz), {
        name: 'ok',
        scopes: ['fine', `bad${LONE}`],
      });
      expect422At(res, ['body', 'scopes', 1]);
    });

    it('/oauth2/revoke keeps the RFC shape for ill-formed text', async () => {
      const res = await t
        .http()
        .post('/oauth2/revoke')
        .set('content-type', 'application/json')
        .send(JSON.stringify({ token: `lk_${LONE}` }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('a cursor decodes to exactly what its list wrote, or is 422 INVALID_CURSOR', () => {
    const LISTS = [
      ['/api/v1/tokens', 'owner'],
      ['/api/v1/members', 'owner'],
      ['/api/v1/machine-identities', 'owner'],
      ['/api/v1/audit-events', 'owner'],
      ['/platform/v1/businesses', 'platform'],
      ['/platform/v1/admins', 'platform'],
      ['/platform/v1/tokens', 'platform'],
      ['/platform/v1/audit-events', 'platform'],
    ] as const;
    const TAMPERED = [
      ['an id that is not a uuid', cursorOf(['2026-01-01T00:00:00.000Z', 'abc'])],
      ["an id holding '", cursorOf(['2026-01-01T00:00:00.000Z', "x'--"])],
      ['an id holding NUL', cursorOf(['2026-01-01T00:00:00.000Z', 'a\u0000b'])],
      ['a date before 4713 BC', cursorOf(['-004714-01-01T00:00:00.000Z', randomUUID()])],
      ['year 0000', cursorOf(['0000-01-01T00:00:00.000Z', randomUUID()])],
      ['a date that does not exist', cursorOf(['2026-02-31T00:00:00.000Z', randomUUID()])],
      ['three items', cursorOf(['2026-01-01T00:00:00.000Z', randomUUID(), 1])],
      ['not JSON', Buffer.from('nope').toString('base64url')],
    ] as const;
    const cases = LISTS.flatMap(([path, who]) =>
      TAMPERED.map(([what, cursor]) => ({ path, who, what, cursor })),
    );
    it.each(cases)('$path with $what', async ({ path, who, cursor }) => {
      const headers = who === 'platform' ? asPlatform(t) : asOwner(biz);
      const res = await t.http().get(path).query({ cursor }).set(headers);
      expect422At(res, ['query', 'cursor'], 'INVALID_CURSOR');
    });

    it('a cursor the list wrote still pages', async () => {
      await createToken(t, asOwner(biz));
      await createToken(t, asOwner(biz));
      const first = await t
        .http()
        .get('/api/v1/tokens')
        .query({ limit: 1 })
        .set(asOwner(biz))
        .expect(200);
      const cursor = first.body.data.next_cursor as string;
      expect(cursor).toEqual(expect.any(String));
      await t
        .http()
        .get('/api/v1/tokens')
        .query({ limit: 1, cursor })
        .set(asOwner(biz))
        .expect(200);
    });
  });

  describe('bodies are bounded and parsed before authentication', () => {
    const deep = (levels: number) => `{"name":"d","x":${'['.repeat(levels)}${']'.repeat(levels)}}`;

    it.each([33, 5_000, 500_000])('JSON %i levels deep is 400, not 500', async (levels) => {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set({ ...asMember(member.token, biz.id), 'content-type': 'application/json' })
        .send(deep(levels));
      expectError(res, 400, 'BAD_REQUEST');
    });

    it('JSON 32 levels deep is parsed (and then refused by validation, 422)', async () => {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set({ ...asMember(member.token, biz.id), 'content-type': 'application/json' })
        .send(deep(31));
      expectError(res, 422, 'VALIDATION_ERROR');
    });

    it('parsing comes before authentication: a deep body without a token is still 400', async () => {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set('content-type', 'application/json')
        .send(deep(40));
      expectError(res, 400, 'BAD_REQUEST');
    });

    it("DayZero's cURL: an empty JSON body on revoke is no body (201)", async () => {
      const tok = await createToken(t, asOwner(biz));
      const res = await t
        .http()
        .post(`/api/v1/tokens/${tok.id}/revoke`)
        .set({ ...asOwner(biz), 'content-type': 'application/json' })
        .send('');
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({ id: tok.id, status: 'revoked' });
    });

    it('an empty JSON body where one is required reports the fields missing (422)', async () => {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set({ ...asOwner(biz), 'content-type': 'application/json' })
        .send('');
      expect422At(res, ['body', 'name']);
    });

    it('a form body on a JSON route is 415, before authentication', async () => {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set('content-type', 'application/x-www-form-urlencoded')
        .send('name=x');
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      const authed = await t
        .http()
        .post('/api/v1/tokens')
        .set({
          ...asOwner(biz),
          'content-type': 'application/x-www-form-urlencoded',
        })
        .send('name=x');
      expectError(authed, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('text/plain is 415', async () => {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set({ ...asOwner(biz), 'content-type': 'text/plain' })
        .send('name');
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('/oauth2/revoke still takes a form body (RFC 7009)', async () => {
      const tok = await createToken(t, asOwner(biz));
      await t
        .http()
        .post('/oauth2/revoke')
        .set('content-type', 'application/x-www-form-urlencoded')
        .send(`token=${tok.secret}`)
        .expect(200);
      const me = await t.http().get('/api/v1/me').set(asMember(tok.secret, biz.id));
      expect(me.status).toBe(401);
    });

    it('/oauth2/* answers a body that does not parse in the RFC shape', async () => {
      for (const body of ['{"token":', `{"token":${'['.repeat(40)}${']'.repeat(40)}}`]) {
        const res = await t
          .http()
          .post('/oauth2/revoke')
          .set('content-type', 'application/json')
          .send(body);
        expect({ status: res.status, body: res.body as unknown }).toEqual({
          status: 400,
          body: { error: 'invalid_request', error_description: expect.any(String) },
        });
      }
    });

    it('a URL past 16 KiB is 431 in the error shape', async () => {
      const res = await t
        .http()
        .get('/api/v1/tokens')
        .query({ pad: 'a'.repeat(20_000) })
        .set(asOwner(biz));
      expect(res.status).toBe(431);
      expect(JSON.parse(res.text)).toEqual({
        success: false,
        message: expect.any(String),
        code: 'HEADERS_TOO_LARGE',
        detail: expect.any(String),
        request_id: expect.any(String),
      });
    });

    it('malformed JSON is 400 and a body past 1 MiB is 413', async () => {
      expectError(
        await t
          .http()
          .post('/api/v1/tokens')
          .set({ ...asOwner(biz), 'content-type': 'application/json' })
          .send('{"name":'),
        400,
        'BAD_REQUEST',
      );
      expectError(
        await t
          .http()
          .post('/api/v1/tokens')
          .set({ ...asOwner(biz), 'content-type': 'application/json' })
          .send(JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 1) })),
        413,
        'PAYLOAD_TOO_LARGE',
      );
    });
  });
});

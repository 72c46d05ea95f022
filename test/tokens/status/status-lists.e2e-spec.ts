import { StatusList } from '@sd-jwt/jwt-status-list';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { randomUUID } from 'node:crypto';
import { BusinessFixture, createBusiness, createToken } from '../../factories/tenancy.factory';
import { asBearer, asMember, asOwner, asPlatform, me, revoke, rotate } from '../../harness/app/api';
import { expectError } from '../../harness/app/assertions';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { describeIf, DRIVERS, TEST_DATABASE_URL, TEST_REDIS_URL } from '../../setup/servers';
import { lastReading } from '../../harness/patience';

const TTL = 30;

/** A status-list entry as a token's holders are told it. */
interface Entry {
  idx: number;
  uri: string;
}

/**
 * Token Status Lists (draft-ietf-oauth-status-list-21): every token has a place in a list of its
 * business; the list is public, signed with a key of the JWKS, and its 2 bits at the token's
 * index follow revocation, pausing and the business's suspension in the change's own
 * transaction. The relying party's checks, written as one would write them with `jose`.
 */
describe.each(DRIVERS)('Token status lists on %s', (driver) => {
  let t: TestApp;
  let a: BusinessFixture;
  let b: BusinessFixture;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  beforeAll(async () => {
    t = await bootTestApp(driver, {
      TOKEN_CACHE_TTL_MS: '10000',
      STATUS_LIST_TTL_SECONDS: String(TTL),
      PUBLIC_BASE_URL: 'https://latchkey.example.com',
    });
    [a, b] = [await createBusiness(t), await createBusiness(t)];
    const keys = await t.http().get('/.well-known/jwks.json').expect(200);
    jwks = createLocalJWKSet(keys.body as JSONWebKeySet);
  });
  afterAll(() => t?.close());

  const entryOf = async (secret: string, business: BusinessFixture): Promise<Entry> => {
    const res = await me(t, asMember(secret, business.id)).expect(200);
    return res.body.data.status_list as Entry;
  };
  /** The path of a list's URL on this app (its URL names the public address). */
  const pathOf = (uri: string) => new URL(uri).pathname;
  const fetchList = (uri: string) => t.http().get(pathOf(uri));
  /** The list, verified as a relying party verifies it: signature, typ, sub. */
  const verifiedList = async (uri: string) => {
    const res = await fetchList(uri).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/statuslist\+jwt/);
    const { payload, protectedHeader } = await jwtVerify(res.text, jwks, {
      typ: 'statuslist+jwt',
      subject: uri,
    });
    return { payload, protectedHeader, res };
  };
  const statusAt = async ({ uri, idx }: Entry) => {
    const { payload } = await verifiedList(uri);
    const { bits, lst } = payload.status_list as { bits: 1 | 2 | 4 | 8; lst: string };
    return StatusList.decompressStatusList(lst, bits).getStatus(idx);
  };

  it('gives every token a place in a list of its business, which /me, the token, introspection and /auth/verify name', async () => {
    const tok = await createToken(t, asOwner(a), { name: 'listed', scopes: ['introspect'] });
    const entry = await entryOf(tok.secret, a);
    expect(entry).toEqual({
      idx: expect.any(Number),
      uri: expect.stringMatching(/^https:\/\/latchkey\.example\.com\/status-lists\/[0-9a-f-]{36}$/),
    });
    const introspected = await t
      .http()
      .post('/oauth2/introspect')
      .set(asBearer(tok.secret))
      .send({ token: tok.secret })
      .expect(200);
    expect(introspected.body.status).toEqual({ status_list: entry });
    const verified = await t.http().get('/auth/verify').set(asBearer(tok.secret)).expect(204);
    expect(verified.headers['x-latchkey-status-list']).toBe(`idx=${entry.idx}, uri="${entry.uri}"`);
    const one = await t.http().get(`/api/v1/tokens/${tok.id}`).set(asOwner(a)).expect(200);
    expect(one.body.data.status_list).toEqual(entry);
    expect(await statusAt(entry)).toBe(0);
  });

  it('serves a list signed with a key of the JWKS, with its ttl, a sub of its own URL and a bounded life', async () => {
    const tok = await createToken(t, asOwner(a));
    const { uri } = await entryOf(tok.secret, a);
    const { payload, protectedHeader, res } = await verifiedList(uri);
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'statuslist+jwt' });
    expect(typeof protectedHeader.kid).toBe('string');
    expect(payload).toMatchObject({ sub: uri, ttl: TTL, status_list: { bits: 2 } });
    expect(payload.exp! - payload.iat!).toBe(2 * TTL);
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers['cache-control'])![1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(TTL);
    expect(res.headers['cache-control']).toMatch(/^public/);
  });

  it('turns a token invalid in the list once its revocation is answered, on the same instance', async () => {
    const tok = await createToken(t, asOwner(a));
    const entry = await entryOf(tok.secret, a);
    expect(await statusAt(entry)).toBe(0);
    await revoke(t, asOwner(a), tok.id, { reason: 'leaked' }).expect(201);
    expect(await statusAt(entry)).toBe(1);
  });

  it('shows a paused token suspended, and valid again once enabled', async () => {
    const tok = await createToken(t, asOwner(a));
    const entry = await entryOf(tok.secret, a);
    await t.http().post(`/api/v1/tokens/${tok.id}/disable`).set(asOwner(a)).send({}).expect(200);
    expect(await statusAt(entry)).toBe(2);
    await t.http().post(`/api/v1/tokens/${tok.id}/enable`).set(asOwner(a)).send({}).expect(200);
    expect(await statusAt(entry)).toBe(0);
  });

  it('shows every token of a suspended business suspended, and a revoked one still invalid', async () => {
    const c = await createBusiness(t);
    const live = await createToken(t, asOwner(c));
    const dead = await createToken(t, asOwner(c));
    const [liveEntry, deadEntry] = [await entryOf(live.secret, c), await entryOf(dead.secret, c)];
    await revoke(t, asOwner(c), dead.id).expect(201);
    await t.http().post(`/platform/v1/businesses/${c.id}/suspend`).set(asPlatform(t)).expect(200);
    expect([await statusAt(liveEntry), await statusAt(deadEntry)]).toEqual([2, 1]);
    await t.http().post(`/platform/v1/businesses/${c.id}/resume`).set(asPlatform(t)).expect(200);
    expect([await statusAt(liveEntry), await statusAt(deadEntry)]).toEqual([0, 1]);
  });

  it('marks a rotated token invalid at once without a grace period', async () => {
    const tok = await createToken(t, asOwner(a));
    const entry = await entryOf(tok.secret, a);
    const rotated = await rotate(t, asMember(tok.secret, a.id), tok.id).expect(201);
    const next = await entryOf(rotated.body.data.token as string, a);
    expect(next.uri).toBe(entry.uri);
    expect(next.idx).not.toBe(entry.idx);
    expect([await statusAt(entry), await statusAt(next)]).toEqual([1, 0]);
  });

  it("keeps each business's tokens in lists of its own: another's revocation leaves them byte for byte", async () => {
    const mine = await createToken(t, asOwner(a));
    const theirs = await createToken(t, asOwner(b));
    const [myEntry, theirEntry] = [await entryOf(mine.secret, a), await entryOf(theirs.secret, b)];
    expect(myEntry.uri).not.toBe(theirEntry.uri);
    const before = await fetchList(myEntry.uri).expect(200);
    await revoke(t, asOwner(b), theirs.id).expect(201);
    const after = await fetchList(myEntry.uri).set('if-none-match', before.headers.etag);
    expect(after.status).toBe(304);
    expect(await statusAt(theirEntry)).toBe(1);
  });

  it('hands out each place once, to tokens made in parallel, and never again after a revocation', async () => {
    const made = await Promise.all(
      Array.from({ length: 12 }, (_, i) => createToken(t, asOwner(a), { name: `p${i}` })),
    );
    const entries = await Promise.all(made.map((tok) => entryOf(tok.secret, a)));
    const places = entries.map((e) => `${e.uri}#${e.idx}`);
    expect(new Set(places).size).toBe(places.length);
    await Promise.all(made.map((tok) => revoke(t, asOwner(a), tok.id).expect(201)));
    const later = await createToken(t, asOwner(a));
    const laterEntry = await entryOf(later.secret, a);
    expect(places).not.toContain(`${laterEntry.uri}#${laterEntry.idx}`);
    expect(laterEntry.idx).toBeGreaterThan(Math.max(...entries.map((e) => e.idx)));
    const [row] = await t.sql<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM api_tokens WHERE status_list_id IS NULL',
    );
    expect(Number(row.n)).toBe(0);
  });

  it('answers the JSON form for Accept: application/statuslist+json, and 304 for a matching ETag', async () => {
    const tok = await createToken(t, asOwner(a));
    const entry = await entryOf(tok.secret, a);
    const jwt = await fetchList(entry.uri).expect(200);
    const json = await fetchList(entry.uri)
      .set('accept', 'application/statuslist+json')
      .expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/statuslist\+json/);
    const body = JSON.parse(json.text) as { status_list: unknown; sub: string };
    const { payload } = await jwtVerify(jwt.text, jwks);
    expect(body.status_list).toEqual(payload.status_list);
    expect(body.sub).toBe(entry.uri);
    expect(json.headers.etag).not.toBe(jwt.headers.etag);
    expect(json.headers.vary).toMatch(/accept/i);
    for (const tag of [jwt.headers.etag, `W/${jwt.headers.etag}`, `"other", ${jwt.headers.etag}`]) {
      const again = await fetchList(entry.uri).set('if-none-match', tag);
      expect({ tag, status: again.status, body: again.text }).toEqual({
        tag,
        status: 304,
        body: '',
      });
    }
    const other = await fetchList(entry.uri).set('if-none-match', '"not-it"');
    expect(other.status).toBe(200);
  });

  it('finds a list and a token by an id in capitals as in lowercase, on either driver (a uuid has no case)', async () => {
    const tok = await createToken(t, asOwner(a));
    const { uri } = await entryOf(tok.secret, a);
    const path = pathOf(uri);
    const upper = path.replace(/[0-9a-f-]{36}$/, (id) => id.toUpperCase());
    expect(upper).not.toBe(path);
    const [lower, capital] = [await fetchList(uri).expect(200), await t.http().get(upper)];
    expect({ status: capital.status, body: capital.text }).toEqual({
      status: 200,
      body: lower.text,
    });
    const one = await t.http().get(`/api/v1/tokens/${tok.id.toUpperCase()}`).set(asOwner(a));
    expect({ status: one.status, id: one.body.data?.id as unknown }).toEqual({
      status: 200,
      id: tok.id,
    });
  });

  it('answers 404 for a list that does not exist, and 422 for an id that is not a uuid, without a token', async () => {
    expectError(await t.http().get(`/status-lists/${randomUUID()}`), 404, 'STATUS_LIST_NOT_FOUND');
    expectError(await t.http().get('/status-lists/not-a-uuid'), 422, 'VALIDATION_ERROR');
  });

  it('publishes only public keys, and signs with one of them', async () => {
    const keys = (await t.http().get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;
    expect(keys.keys.length).toBeGreaterThan(0);
    for (const key of keys.keys) expect(Object.keys(key)).not.toContain('d');
    const tok = await createToken(t, asOwner(a));
    const { uri } = await entryOf(tok.secret, a);
    const { kid } = decodeProtectedHeader((await fetchList(uri).expect(200)).text);
    expect(keys.keys.map((k) => k.kid)).toContain(kid);
  });
});

const withServers = describeIf(
  !!(TEST_DATABASE_URL && TEST_REDIS_URL),
  'set TEST_DATABASE_URL and REDIS_URL',
);

/**
 * Two instances on one PostgreSQL and Redis: a list the other instance served before the
 * revocation is dropped when the change reaches it on the bus, so its next fetch shows the bit.
 */
withServers('Token status lists across two instances on postgres with Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = {
      TOKEN_CACHE_TTL_MS: '10000',
      STATUS_LIST_TTL_SECONDS: '3600',
      REDIS_URL: TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: `latchkey-test-${randomUUID().slice(0, 8)}:`,
    };
    a = await bootTestApp('postgres', env);
    b = await bootTestApp('postgres', env, a.db);
  });
  afterAll(async () => {
    await b?.close({ keepDatabase: true });
    await a?.close();
  });

  it("shows a revocation made on one instance in the list the other serves, within the bus's bound", async () => {
    const biz = await createBusiness(a);
    const tok = await createToken(a, asOwner(biz));
    const { uri, idx } = (await me(a, asMember(tok.secret, biz.id)).expect(200)).body.data
      .status_list as Entry;
    const path = new URL(uri).pathname;
    const statusOnB = async () => {
      const res = await b.http().get(path).set('accept', 'application/statuslist+json').expect(200);
      const { bits, lst } = (JSON.parse(res.text) as { status_list: { bits: 2; lst: string } })
        .status_list;
      return StatusList.decompressStatusList(lst, bits).getStatus(idx);
    };
    // B builds and keeps the list for its hour-long ttl: only the bus can make it drop it.
    expect(await statusOnB()).toBe(0);
    await revoke(a, asOwner(biz), tok.id).expect(201);
    expect(await lastReading(statusOnB, (status) => status === 1, 25)).toBe(1);
  });
});

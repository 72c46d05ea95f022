import { createHash, randomBytes } from 'node:crypto';
import { RevocationBus } from '../../src/bus/revocation-bus';
import { Metrics, NoMetrics } from '../../src/metrics/metrics';
import { mintSecret } from '../../src/tokens/token-secret';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
} from '../factories/tenancy.factory';
import { tamperedSecret } from '../harness/app/token-checks';
import { asBearer, asMember, asOwner, me, removeMember, revoke } from '../harness/app/api';
import { BEARER_CHALLENGE, expectBearerError, expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { describeIf, DRIVERS, TEST_REDIS_URL } from '../setup/servers';
import { lastReading } from '../harness/patience';

type Labels = Record<string, string>;

/** One sample of the text exposition: `name{a="x",b="y"} value`. */
interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Labels = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value;
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** What one scrape says, read by metric name and exactly these labels (0 when absent). */
class Scrape {
  readonly samples: Sample[];
  constructor(readonly text: string) {
    this.samples = parse(text);
  }

  value(name: string, labels: Labels = {}): number {
    const wanted = JSON.stringify(Object.entries(labels).sort());
    const found = this.samples.find(
      (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted,
    );
    return found?.value ?? 0;
  }

  /** How far each named series moved since `before`. */
  moved(before: Scrape, series: [string, Labels?][]): Record<string, number> {
    return Object.fromEntries(
      series.map(([name, labels = {}]) => [
        `${name}${JSON.stringify(labels)}`,
        this.value(name, labels) - before.value(name, labels),
      ]),
    );
  }
}

/** The scraper's shared secret in the suites below: a scrape verifies no token, counts nothing. */
const SCRAPER = `scraper-${randomBytes(12).toString('hex')}`;
const AS_SCRAPER = { authorization: `Bearer ${SCRAPER}` };

async function scrape(t: TestApp, headers: Record<string, string> = AS_SCRAPER): Promise<Scrape> {
  const res = await t.http().get('/metrics').set(headers);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-store');
  return new Scrape(res.text);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const unknownToken = () => mintSecret('lk').secret;

describe.each(DRIVERS)('GET /metrics on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // Small budgets, so a 429 of each per-IP kind is a few requests away.
    t = await bootTestApp(driver, {
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '2',
      RATE_LIMIT_OAUTH_PER_MINUTE: '2',
      TRUST_PROXY: '1',
      METRICS_TOKEN: SCRAPER,
    });
  });
  afterAll(() => t?.close());

  it('answers the default process metrics and every latchkey family, to the scraper', async () => {
    const res = await t.http().get('/metrics').set(AS_SCRAPER).expect(200);
    const names = new Set(parse(res.text).map((s) => s.name));
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'latchkey_token_verifications_total',
      'latchkey_verifier_cache_hits_total',
      'latchkey_verifier_cache_misses_total',
      'latchkey_verifier_cache_entries',
      'latchkey_bus_connected',
      'latchkey_bus_messages_published_total',
      'latchkey_bus_messages_received_total',
      'latchkey_rate_limited_total',
    ]) {
      expect([name, names.has(name)]).toEqual([name, true]);
    }
    // In-process (no Redis): the bus hears everything this instance publishes.
    expect(new Scrape(res.text).value('latchkey_bus_connected')).toBe(1);
  });

  it('moves each counter by exactly what a revoke, a 401, a cascade and two 429s did', async () => {
    const biz = await createBusiness(t);
    const owner = asOwner(biz);
    const doomed = await createToken(t, owner, { name: 'doomed' });
    const presented = await createToken(t, owner, { name: 'presented' });
    const alice = await addMember(t, biz);
    const aliceToken = await createToken(t, asMember(alice.token, biz.id), { name: 'alice' });
    // A first use loads the token into the cache; the second is served from it.
    await me(t, asMember(doomed.secret, biz.id)).expect(200);
    await me(t, asMember(doomed.secret, biz.id)).expect(200);

    // The per-IP budgets are this test's own: an address no other test uses.
    const from = { 'x-forwarded-for': '198.51.100.7' };
    const before = await scrape(t);
    await me(t, owner).expect(200);
    await revoke(t, owner, doomed.id, { reason: 'free text that is no label' }).expect(201);
    // A second revoke changes nothing, and is not counted.
    await revoke(t, owner, doomed.id).expect(201);
    const dead = await me(t, { ...asMember(doomed.secret, biz.id), ...from });
    expectBearerError(dead, 'TOKEN_REVOKED');
    expectBearerError(await me(t, { ...asBearer(unknownToken()), ...from }));
    // The failed-authentication budget (2) is spent: the next failure is 429.
    expectError(await me(t, { ...asBearer(unknownToken()), ...from }), 429, 'RATE_LIMITED');
    // RFC 7009 twice, then the oauth budget (2) is spent.
    const oauthRevoke = () =>
      t.http().post('/oauth2/revoke').set(from).send({ token: presented.secret });
    await oauthRevoke().expect(200);
    await oauthRevoke().expect(200);
    await oauthRevoke().expect(429);
    // Removing Alice revokes her two tokens: a cascade.
    await removeMember(t, owner, alice.identityId).expect(200);
    const after = await scrape(t);

    expect(
      after.moved(before, [
        ['latchkey_token_verifications_total', { outcome: 'ok' }],
        ['latchkey_token_verifications_total', { outcome: 'revoked' }],
        ['latchkey_token_verifications_total', { outcome: 'invalid' }],
        ['latchkey_token_revocations_total', { reason: 'requested', origin: 'api' }],
        ['latchkey_token_revocations_total', { reason: 'presented', origin: 'oauth2' }],
        ['latchkey_token_revocations_total', { reason: 'member_removed', origin: 'cascade' }],
        ['latchkey_rate_limited_total', { limit: 'auth-failures' }],
        ['latchkey_rate_limited_total', { limit: 'oauth' }],
        ['latchkey_rate_limited_total', { limit: 'identity' }],
        ['latchkey_audit_appends_total', { action: 'token.revoked' }],
        ['latchkey_audit_appends_total', { action: 'member.removed' }],
        ['latchkey_audit_append_failures_total', { action: 'token.revoked' }],
        ['latchkey_bus_messages_published_total', { type: 'token.changed' }],
        ['latchkey_bus_messages_published_total', { type: 'membership.changed' }],
        ['latchkey_bus_messages_received_total', { type: 'token.changed' }],
      ]),
    ).toEqual({
      // me, the two revokes' and the removal's caller
      'latchkey_token_verifications_total{"outcome":"ok"}': 4,
      'latchkey_token_verifications_total{"outcome":"revoked"}': 1,
      'latchkey_token_verifications_total{"outcome":"invalid"}': 2, // the 401 and the 429
      'latchkey_token_revocations_total{"reason":"requested","origin":"api"}': 1,
      'latchkey_token_revocations_total{"reason":"presented","origin":"oauth2"}': 1,
      'latchkey_token_revocations_total{"reason":"member_removed","origin":"cascade"}': 2,
      'latchkey_rate_limited_total{"limit":"auth-failures"}': 1,
      'latchkey_rate_limited_total{"limit":"oauth"}': 1,
      'latchkey_rate_limited_total{"limit":"identity"}': 0,
      'latchkey_audit_appends_total{"action":"token.revoked"}': 4,
      'latchkey_audit_appends_total{"action":"member.removed"}': 1,
      'latchkey_audit_append_failures_total{"action":"token.revoked"}': 0,
      'latchkey_bus_messages_published_total{"type":"token.changed"}': 4,
      'latchkey_bus_messages_published_total{"type":"membership.changed"}': 1,
      // Only messages from other instances are "received"; there are none in-process.
      'latchkey_bus_messages_received_total{"type":"token.changed"}': 0,
    });
    const aliceTokens = await t.sql<{ id: string }>(
      'SELECT id FROM api_tokens WHERE identity_id = ? AND revoked_at IS NOT NULL',
      [alice.identityId],
    );
    expect(aliceTokens.map((r) => r.id)).toContain(aliceToken.id);
  });

  it('counts cache hits and misses, and times requests by route template', async () => {
    const biz = await createBusiness(t);
    const token = await createToken(t, asOwner(biz));
    const route = { route: '/api/v1/tokens/:token_id', method: 'GET', status_code: '200' };
    const count = 'latchkey_http_request_duration_seconds_count';
    const before = await scrape(t);
    // Cold: the first use reads the database (a miss), the next two are hits.
    for (let i = 0; i < 3; i++) {
      await t
        .http()
        .get(`/api/v1/tokens/${token.id}`)
        .set(asMember(token.secret, biz.id))
        .expect(200);
    }
    await t.http().get('/no/such/route/of/a/token').expect(404);
    const after = await scrape(t);
    expect(
      after.moved(before, [
        ['latchkey_verifier_cache_misses_total'],
        ['latchkey_verifier_cache_hits_total'],
        [count, route],
        [count, { route: 'unmatched', method: 'GET', status_code: '404' }],
      ]),
    ).toEqual({
      'latchkey_verifier_cache_misses_total{}': 1,
      'latchkey_verifier_cache_hits_total{}': 2,
      [`${count}${JSON.stringify(route)}`]: 3,
      [`${count}{"route":"unmatched","method":"GET","status_code":"404"}`]: 1,
    });
    expect(after.value('latchkey_verifier_cache_entries')).toBeGreaterThanOrEqual(1);
    // The route is a template: no series names a token id or a raw URL.
    expect(after.text).not.toContain(token.id);
    expect(after.text).not.toContain('/no/such/route');
    // Every answered request lands in a bucket, the +Inf one included.
    expect(
      after.value('latchkey_http_request_duration_seconds_bucket', { ...route, le: '+Inf' }),
    ).toBe(after.value(count, route));
  });

  it('never shows a token, its hash, a token id or a business id', async () => {
    const biz = await createBusiness(t);
    const token = await createToken(t, asOwner(biz));
    await me(t, asMember(token.secret, biz.id)).expect(200);
    await revoke(t, asOwner(biz), token.id).expect(201);
    expectBearerError(await me(t, asMember(token.secret, biz.id)), 'TOKEN_REVOKED');
    const { text } = await scrape(t);
    for (const secret of [token.secret, biz.ownerToken, t.platformToken]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(sha256(secret));
      expect(text).not.toContain(secret.slice(3, 20));
    }
    for (const id of [token.id, token.jti, biz.id, biz.ownerId]) expect(text).not.toContain(id);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const secret = `scrape-${randomBytes(12).toString('hex')}`;
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp('sqlite', {
      METRICS_TOKEN: secret,
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '4',
    });
  });
  afterAll(() => t?.close());

  it.each([
    ['no Authorization', {}],
    ['an unknown API token', { authorization: `Bearer ${unknownToken()}` }],
    ['a wrong secret of the same length', { authorization: `Bearer ${tamperedSecret(secret)}` }],
    ['the secret with a wrong scheme', { authorization: `Basic ${secret}` }],
  ])('answers 401 in the error shape to %s', async (_label, headers) => {
    const res = await t
      .http()
      .get('/metrics')
      .set(typeof headers === 'function' ? headers() : headers);
    expectError(res, 401, 'INVALID_TOKEN');
    expect(res.headers['www-authenticate']).toBe(BEARER_CHALLENGE);
    expect(res.text).not.toContain('latchkey_');
  });

  it('answers the exposition to the secret as a bearer, and counts the failures as any 401', async () => {
    const res = await t.http().get('/metrics').set('authorization', `Bearer ${secret}`).expect(200);
    expect(res.text).toContain('latchkey_token_verifications_total');
    expect(res.text).not.toContain(secret);
    // The four 401s above spent the budget (4): the next wrong guess is 429.
    const limited = await t.http().get('/metrics').set('authorization', 'Bearer guess');
    expectError(limited, 429, 'RATE_LIMITED');
    // Spent means spent, for the right secret too; another address is untouched.
    const blocked = await t.http().get('/metrics').set('authorization', `bearer ${secret}`);
    expectError(blocked, 429, 'RATE_LIMITED');
  });
});

describe.each(DRIVERS)('who may scrape /metrics, on %s', (driver) => {
  const secret = `scrape-${randomBytes(12).toString('hex')}`;
  const apps: Record<string, TestApp> = {};
  let owner: BusinessFixture;
  let revokedPlatform: string;

  /** Every setting: the shared secret set or not, and METRICS_PUBLIC on or off. */
  const SETTINGS = {
    closed: {},
    'METRICS_TOKEN set': { METRICS_TOKEN: secret },
    'METRICS_PUBLIC=true': { METRICS_PUBLIC: 'true' },
    both: { METRICS_TOKEN: secret, METRICS_PUBLIC: 'true' },
  } as const;
  type Setting = keyof typeof SETTINGS;

  beforeAll(async () => {
    for (const [name, env] of Object.entries(SETTINGS)) {
      apps[name] = await bootTestApp(driver, { ...env, RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0' });
    }
  });
  afterAll(async () => {
    for (const app of Object.values(apps)) await app.close();
  });

  /** Callers, each made on the app it calls. */
  const CALLERS: Record<string, (t: TestApp) => Promise<Record<string, string>>> = {
    nobody: () => Promise.resolve({}),
    'a wrong bearer': () => Promise.resolve({ authorization: 'Bearer not-the-secret-0000' }),
    METRICS_TOKEN: () => Promise.resolve({ authorization: `Bearer ${secret}` }),
    'a platform admin token': (t) =>
      Promise.resolve({ authorization: `Bearer ${t.platformToken}` }),
    "a business owner's token": async (t) => {
      owner = await createBusiness(t);
      return { authorization: `Bearer ${owner.ownerToken}` };
    },
    'a revoked platform token': async (t) => {
      const res = await t
        .http()
        .post('/platform/v1/admins')
        .set('authorization', `Bearer ${t.platformToken}`)
        .send({ email: `scraper-${randomBytes(4).toString('hex')}@example.test` })
        .expect(201);
      revokedPlatform = res.body.data.first_token.token as string;
      await t.http().post('/oauth2/revoke').send({ token: revokedPlatform }).expect(200);
      return { authorization: `Bearer ${revokedPlatform}` };
    },
  };

  /** The rule: open when public; else the secret (when set) or a platform admin token. */
  function expected(setting: Setting, caller: string): number {
    if (setting === 'METRICS_PUBLIC=true' || setting === 'both') return 200;
    if (caller === 'a platform admin token') return 200;
    if (caller === 'METRICS_TOKEN') return setting === 'METRICS_TOKEN set' ? 200 : 401;
    if (caller === "a business owner's token") return 403;
    return 401;
  }

  const cases = (Object.keys(SETTINGS) as Setting[]).flatMap((setting) =>
    Object.keys(CALLERS).map((caller) => ({ setting, caller, status: expected(setting, caller) })),
  );

  it.each(cases)('$setting, $caller: $status', async ({ setting, caller, status }) => {
    const t = apps[setting];
    const res = await t
      .http()
      .get('/metrics')
      .set(await CALLERS[caller](t));
    expect(res.status).toBe(status);
    if (status === 200) expect(res.text).toContain('latchkey_');
    else expect(res.text).not.toContain('latchkey_');
  });
});

describe('METRICS_ENABLED=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp('sqlite', { METRICS_ENABLED: 'false' });
  });
  afterAll(() => t?.close());

  it('has no /metrics route, and the features count into nothing', async () => {
    expectError(await t.http().get('/metrics'), 404, 'ROUTE_NOT_FOUND');
    expect(t.app.get(Metrics)).toBeInstanceOf(NoMetrics);
    // Everything else works as before.
    const biz = await createBusiness(t);
    await me(t, asOwner(biz)).expect(200);
    expect(await t.app.get(Metrics).exposition()).toBe('');
  });
});

// Runs only with REDIS_URL, which .ci/run always sets.
const redisSuite = describeIf(!!TEST_REDIS_URL, 'set REDIS_URL');

redisSuite('bus metrics across two instances on Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = {
      METRICS_TOKEN: SCRAPER,
      REDIS_URL: TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: `latchkey-test-${randomBytes(4).toString('hex')}:`,
    };
    a = await bootTestApp('sqlite', env);
    b = await bootTestApp('sqlite', env, a.db);
    for (const app of [a, b]) {
      await lastReading(
        () => app.app.get(RevocationBus).state.connected,
        (up) => up,
        10,
      );
    }
  });
  afterAll(async () => {
    await b?.close({ keepDatabase: true });
    await a?.close();
  });

  it('counts a revoke out on A and in on B, with its publish-to-eviction delay', async () => {
    const biz = await createBusiness(a);
    const token = await createToken(a, asOwner(biz));
    const [a0, b0] = [await scrape(a), await scrape(b)];
    expect(b0.value('latchkey_bus_connected')).toBe(1);
    await revoke(a, asOwner(biz), token.id).expect(201);
    const delay = 'latchkey_bus_delivery_delay_seconds_count';
    const b1 = await lastReading(
      () => scrape(b),
      (now) => now.value(delay) !== b0.value(delay),
      10,
    );
    const a1 = await scrape(a);
    const type = { type: 'token.changed' };
    expect({
      out_a:
        a1.value('latchkey_bus_messages_published_total', type) -
        a0.value('latchkey_bus_messages_published_total', type),
      in_a:
        a1.value('latchkey_bus_messages_received_total', type) -
        a0.value('latchkey_bus_messages_received_total', type),
      in_b:
        b1.value('latchkey_bus_messages_received_total', type) -
        b0.value('latchkey_bus_messages_received_total', type),
      delays_b: b1.value(delay) - b0.value(delay),
    }).toEqual({ out_a: 1, in_a: 0, in_b: 1, delays_b: 1 });
    // Same host, same clock: well under a second.
    expect(b1.value('latchkey_bus_delivery_delay_seconds_bucket', { le: '1' })).toBe(
      b1.value(delay),
    );
  });
});

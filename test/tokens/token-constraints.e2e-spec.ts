import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { freePort } from '../harness/ports';
import { PrivateRedis } from '../harness/servers/redis';
import {
  addMember,
  BusinessFixture,
  createToken,
  createUnexpiringBusiness,
  IssuedToken,
} from '../factories/tenancy.factory';
import { tamperedSecret } from '../harness/app/token-checks';
import { asMember, asOwner, Caller, getToken, postToken, rotate } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { describeIf, DRIVERS, TEST_REDIS_URL } from '../setup/servers';
import { lastReading } from '../harness/patience';

/**
 * Per-token constraints: the networks a token may be used from, and a rate limit of
 * its own; both read from the verifier's snapshot, both kept through rotation, and neither
 * lifted by a token that a restricted token makes.
 */

const from = (caller: Caller, ip: string): Caller => ({ ...caller, 'x-forwarded-for': ip });
const me = (t: TestApp, caller: Caller) => t.http().get('/api/v1/me').set(caller);

async function rejectedEvents(t: TestApp, tokenId: string) {
  return t.sql<{ ip: string; metadata: string }>(
    "SELECT ip, metadata FROM audit_events WHERE action = 'token.rejected' AND target_id = ? ORDER BY seq",
    [tokenId],
  );
}

/** The token's rejections once `count` are written (off the request path), or what there is. */
const rejectedAtLeast = (t: TestApp, tokenId: string, count: number) =>
  lastReading(
    () => rejectedEvents(t, tokenId),
    (seen) => seen.length >= count,
  );

describe.each(DRIVERS)('per-token constraints on %s', (driver) => {
  describe('behind one trusted proxy (TRUST_PROXY=1)', () => {
    let t: TestApp;
    let biz: BusinessFixture;
    beforeAll(async () => {
      t = await bootTestApp(driver, { TRUST_PROXY: '1', TOKEN_CACHE_TTL_MS: '0' });
      biz = await createUnexpiringBusiness(t);
    });
    afterAll(() => t?.close());

    const bound = (cidrs: string[], extra: object = {}) =>
      createToken(t, asOwner(biz), { name: 'bound', allowed_cidrs: cidrs, ...extra });

    it('a token bound to 10.0.0.0/8 gets 403 IP_NOT_ALLOWED from 127.0.0.1, and 200 from an allowed forwarded address', async () => {
      const token = await bound(['10.0.0.0/8']);
      const caller = asMember(token.secret, biz.id);
      const outside = await me(t, caller);
      expect(outside.status).toBe(403);
      expect(outside.body).toMatchObject({ success: false, code: 'IP_NOT_ALLOWED' });
      expect(JSON.stringify(outside.body)).not.toContain(token.secret);
      await me(t, from(caller, '10.20.30.40')).expect(200);
      // The client's own left-most hop is not believed: the proxy's right-most one is.
      expect((await me(t, from(caller, '10.1.1.1, 192.0.2.9'))).status).toBe(403);
      await me(t, from(caller, '192.0.2.9, 10.1.1.1')).expect(200);
    });

    it.each([
      [['10.0.0.0/8'], '::ffff:10.9.8.7', 200],
      [['::ffff:10.0.0.0/104'], '10.9.8.7', 200],
      [['2001:db8::/32'], '2001:DB8:0:0:0:0:0:5', 200],
      [['2001:db8::/32'], '2001:db9::5', 403],
      [['2001:db8::/32'], '10.9.8.7', 403],
      [['10.0.0.0/8', '2001:db8::/32'], '2001:db8::1', 200],
      [['192.0.2.7'], '192.0.2.7', 200],
      [['192.0.2.7'], '192.0.2.8', 403],
    ])('allowed %j, from %s: %i', async (cidrs, ip, status) => {
      const token = await bound(cidrs);
      expect((await me(t, from(asMember(token.secret, biz.id), ip))).status).toBe(status);
    });

    it('shows the networks in their canonical spelling, deduplicated, in the view', async () => {
      const token = await bound(
        ['10.1.2.3/8', '10.0.0.0/8', '::ffff:192.0.2.0/120', '2001:DB8::/32'],
        {
          rate_limit_per_minute: 30,
        },
      );
      const expected = ['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32'];
      expect(token.view).toMatchObject({ allowed_cidrs: expected, rate_limit_per_minute: 30 });
      const read = await getToken(t, asOwner(biz), token.id).expect(200);
      expect(read.body.data).toMatchObject({ allowed_cidrs: expected, rate_limit_per_minute: 30 });
      const plain = await createToken(t, asOwner(biz), { name: 'plain' });
      expect(plain.view).toMatchObject({ allowed_cidrs: null, rate_limit_per_minute: null });
    });

    it('records token.rejected once a minute per token and address, with the address', async () => {
      const token = await bound(['10.0.0.0/8']);
      const caller = asMember(token.secret, biz.id);
      for (let i = 0; i < 3; i++) expect((await me(t, from(caller, '192.0.2.1'))).status).toBe(403);
      expect((await me(t, from(caller, '192.0.2.2'))).status).toBe(403);
      const events = await rejectedAtLeast(t, token.id, 2);
      // Recorded off the request path, so two addresses' entries may land in either order.
      expect(events.map((e) => e.ip).sort()).toEqual(['192.0.2.1', '192.0.2.2']);
      expect(JSON.parse(events[0].metadata)).toMatchObject({ reason: 'ip_not_allowed' });
    });

    it('a forwarded address that is not one is refused, never taken for the proxy’s own', async () => {
      const token = await bound(['127.0.0.0/8', '::1']);
      const caller = asMember(token.secret, biz.id);
      await me(t, caller).expect(200);
      for (const garbled of ['garbage', '10.0.0.1:5678', '[::1]:443', '']) {
        const res = await me(t, from(caller, `192.0.2.1, ${garbled}`));
        expect([res.status, res.body.code, garbled]).toEqual([403, 'IP_NOT_ALLOWED', garbled]);
      }
    });

    it('is told refused from at most 10 addresses a minute, however many it is presented from', async () => {
      const token = await bound(['10.0.0.0/8']);
      const caller = asMember(token.secret, biz.id);
      for (let i = 1; i <= 15; i++) {
        expect((await me(t, from(caller, `2001:db8::${i}`))).status).toBe(403);
      }
      await rejectedAtLeast(t, token.id, 10);
      await new Promise((r) => setTimeout(r, 200));
      const events = await rejectedEvents(t, token.id);
      // The first ten told, in whichever order their writes committed.
      expect(events.map((e) => e.ip).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `2001:db8::${i + 1}`).sort(),
      );
    });

    it.each([
      [{ allowed_cidrs: [] }, ['body', 'allowed_cidrs']],
      [
        { allowed_cidrs: Array.from({ length: 21 }, (_, i) => `10.0.${i}.0/24`) },
        ['body', 'allowed_cidrs'],
      ],
      [{ allowed_cidrs: ['10.0.0.0/33'] }, ['body', 'allowed_cidrs']],
      [{ allowed_cidrs: ['example.com'] }, ['body', 'allowed_cidrs']],
      [{ allowed_cidrs: ['010.0.0.1'] }, ['body', 'allowed_cidrs']],
      [{ allowed_cidrs: ['10.0.0.0/8\n'] }, ['body', 'allowed_cidrs']],
      [{ allowed_cidrs: [`${'1'.repeat(5000)}`] }, ['body', 'allowed_cidrs']],
      [{ allowed_cidrs: '10.0.0.0/8' }, ['body', 'allowed_cidrs']],
      [{ allowed_cidrs: [7] }, ['body', 'allowed_cidrs']],
      [{ rate_limit_per_minute: 0 }, ['body', 'rate_limit_per_minute']],
      [{ rate_limit_per_minute: 1.5 }, ['body', 'rate_limit_per_minute']],
      [{ rate_limit_per_minute: 1_000_001 }, ['body', 'rate_limit_per_minute']],
      [{ rate_limit_per_minute: '5' }, ['body', 'rate_limit_per_minute']],
    ])('create refuses %j with 422 at %j, and makes nothing', async (body, loc) => {
      const before = await t.sql<{ n: number }>('SELECT COUNT(*) AS n FROM api_tokens');
      const res = await postToken(t, asOwner(biz), { name: 'bad', ...body });
      expect(res.status).toBe(422);
      expect(res.body.detail.map((d: { loc: unknown[] }) => d.loc.slice(0, 2))).toContainEqual(loc);
      const after = await t.sql<{ n: number }>('SELECT COUNT(*) AS n FROM api_tokens');
      expect(Number(after[0].n)).toBe(Number(before[0].n));
    });

    describe('a restricted maker cannot lift its own restrictions', () => {
      let maker: IssuedToken;
      let makerCaller: Caller;
      beforeAll(async () => {
        maker = await bound(['10.0.0.0/8'], { rate_limit_per_minute: 100 });
        makerCaller = from(asMember(maker.secret, biz.id), '10.0.0.1');
      });

      it('a child left unconstrained takes the maker’s networks and limit', async () => {
        const child = await createToken(t, makerCaller, { name: 'child' });
        expect(child.view).toMatchObject({
          allowed_cidrs: ['10.0.0.0/8'],
          rate_limit_per_minute: 100,
        });
      });

      it.each([
        [{ allowed_cidrs: ['10.1.0.0/16'] }, 201],
        [{ allowed_cidrs: ['10.0.0.0/8'] }, 201],
        [{ allowed_cidrs: ['10.1.0.0/16', '10.2.0.0/16'] }, 201],
        [{ allowed_cidrs: ['11.0.0.0/8'] }, 422],
        [{ allowed_cidrs: ['10.0.0.0/7'] }, 422],
        [{ allowed_cidrs: ['10.1.0.0/16', '192.0.2.0/24'] }, 422],
        [{ allowed_cidrs: ['0.0.0.0/0'] }, 422],
        [{ allowed_cidrs: ['::/0'] }, 422],
        [{ allowed_cidrs: null }, 422],
        [{ rate_limit_per_minute: 50 }, 201],
        [{ rate_limit_per_minute: 100 }, 201],
        [{ rate_limit_per_minute: 101 }, 422],
        [{ rate_limit_per_minute: null }, 422],
      ])('create with %j: %i', async (body, status) => {
        const res = await postToken(t, makerCaller, { name: 'child', ...body });
        expect(res.status).toBe(status);
        if (status === 422) expect(res.body.code).toBe('CONSTRAINTS_EXCEED_MAKER');
      });

      it('rotating itself keeps its constraints, narrows them on request, and never widens them', async () => {
        const self = await createToken(t, makerCaller, { name: 'self-rotating' });
        const caller = from(asMember(self.secret, biz.id), '10.0.0.2');
        const widened = await rotate(t, caller, self.id, { allowed_cidrs: ['0.0.0.0/0'] });
        expect(widened.status).toBe(422);
        expect(widened.body.code).toBe('CONSTRAINTS_EXCEED_MAKER');
        const raised = await rotate(t, caller, self.id, { rate_limit_per_minute: 101 });
        expect(raised.status).toBe(422);
        const kept = await rotate(t, caller, self.id, { grace_period_seconds: 60 }).expect(201);
        expect(kept.body.data).toMatchObject({
          allowed_cidrs: ['10.0.0.0/8'],
          rate_limit_per_minute: 100,
        });
        const next = from(asMember(kept.body.data.token, biz.id), '10.0.0.3');
        const narrowed = await rotate(t, next, kept.body.data.id, {
          allowed_cidrs: ['10.5.0.0/16'],
          rate_limit_per_minute: 10,
        }).expect(201);
        expect(narrowed.body.data).toMatchObject({
          allowed_cidrs: ['10.5.0.0/16'],
          rate_limit_per_minute: 10,
        });
      });

      it('an unrestricted owner may rotate a bound token free', async () => {
        const token = await bound(['10.0.0.0/8'], { rate_limit_per_minute: 5 });
        const freed = await rotate(t, asOwner(biz), token.id, {
          allowed_cidrs: null,
          rate_limit_per_minute: null,
        });
        // The owner's token rotates only its own tokens; this one is the owner's.
        expect(freed.status).toBe(201);
        expect(freed.body.data).toMatchObject({ allowed_cidrs: null, rate_limit_per_minute: null });
      });

      it('a new member’s first token, made by a bound owner token, is bound as well', async () => {
        const res = await t
          .http()
          .post('/api/v1/members')
          .set(makerCaller)
          .send({ email: `bound-${randomBytes(4).toString('hex')}@example.test`, role: 'member' })
          .expect(201);
        expect(res.body.data.first_token).toMatchObject({
          allowed_cidrs: ['10.0.0.0/8'],
          rate_limit_per_minute: 100,
        });
      });
    });
  });

  describe('with no proxy trusted', () => {
    let t: TestApp;
    let biz: BusinessFixture;
    beforeAll(async () => {
      t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
      biz = await createUnexpiringBusiness(t);
    });
    afterAll(() => t?.close());

    it('a forged X-Forwarded-For does not get a bound token in', async () => {
      const token = await createToken(t, asOwner(biz), {
        name: 'bound',
        allowed_cidrs: ['10.0.0.0/8'],
      });
      const res = await me(t, from(asMember(token.secret, biz.id), '10.1.2.3'));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('IP_NOT_ALLOWED');
      const loopback = await createToken(t, asOwner(biz), {
        name: 'loopback',
        allowed_cidrs: ['127.0.0.0/8', '::1'],
      });
      await me(t, asMember(loopback.secret, biz.id)).expect(200);
    });

    it('a token limited to 5 a minute gets 429 with Retry-After on the 6th call; its sibling does not', async () => {
      const limited = await createToken(t, asOwner(biz), {
        name: 'limited',
        rate_limit_per_minute: 5,
      });
      const sibling = await createToken(t, asOwner(biz), { name: 'sibling' });
      const caller = asMember(limited.secret, biz.id);
      for (let i = 0; i < 5; i++) await me(t, caller).expect(200);
      const sixth = await me(t, caller);
      expect(sixth.status).toBe(429);
      expect(sixth.body).toMatchObject({ success: false, code: 'RATE_LIMITED' });
      expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
      await me(t, asMember(sibling.secret, biz.id)).expect(200);
      // A bad token is still 401 before any 429.
      expect((await me(t, asMember(tamperedSecret(limited.secret), biz.id))).status).toBe(401);
    });

    it('the limit holds for parallel calls', async () => {
      const limited = await createToken(t, asOwner(biz), {
        name: 'parallel',
        rate_limit_per_minute: 5,
      });
      const caller = asMember(limited.secret, biz.id);
      const statuses = await Promise.all(
        Array.from({ length: 12 }, () => me(t, caller).then((r) => r.status)),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    });

    it('a limited token cannot buy a fresh minute by rotating itself', async () => {
      const limited = await createToken(t, asOwner(biz), {
        name: 'self-renewing',
        rate_limit_per_minute: 5,
      });
      const caller = asMember(limited.secret, biz.id);
      await me(t, caller).expect(200);
      await me(t, caller).expect(200);
      const rotated = await rotate(t, caller, limited.id, { grace_period_seconds: 60 }).expect(201);
      expect(rotated.body.data).toMatchObject({
        rate_limit_per_minute: 5,
        shared_rate_limit: { token_id: limited.id, per_minute: 5 },
      });
      const successor = asMember(rotated.body.data.token, biz.id);
      // Two calls and the rotation spent 3 of the window; the successor has the other 2.
      await me(t, successor).expect(200);
      await me(t, successor).expect(200);
      expect((await me(t, successor)).status).toBe(429);
      expect((await me(t, caller)).status).toBe(429);
      // A token the unlimited owner makes shares no window.
      const next = await postToken(t, asOwner(biz), { name: 'unrelated' });
      expect(next.body.data.shared_rate_limit).toBeNull();
    });

    it('the tokens a limited token makes are counted in its window, together', async () => {
      const limited = await createToken(t, asOwner(biz), {
        name: 'maker-limited',
        rate_limit_per_minute: 5,
      });
      const caller = asMember(limited.secret, biz.id);
      const made = [];
      for (const rate of [undefined, 3]) {
        const res = await postToken(t, caller, {
          name: 'made',
          ...(rate ? { rate_limit_per_minute: rate } : {}),
        });
        expect(res.status).toBe(201);
        expect(res.body.data.shared_rate_limit).toEqual({ token_id: limited.id, per_minute: 5 });
        made.push(asMember(res.body.data.token as string, biz.id));
      }
      const [first, second] = made;
      // Grandchildren share the same first window, not their own maker's.
      const grandchild = await postToken(t, first, { name: 'grandchild' });
      expect(grandchild.body.data.shared_rate_limit).toEqual({
        token_id: limited.id,
        per_minute: 5,
      });
      // Two creates by the maker and one by `first`: 2 left in the shared window.
      await me(t, second).expect(200);
      await me(t, first).expect(200);
      const refused = await Promise.all([
        me(t, first),
        me(t, second),
        me(t, caller),
        me(t, asMember(grandchild.body.data.token as string, biz.id)),
      ]);
      expect(refused.map((r) => r.status)).toEqual([429, 429, 429, 429]);
      expect(Number(refused[0].headers['retry-after'])).toBeGreaterThan(0);
    });

    it('a member’s own constraints cap the tokens the member makes', async () => {
      const member = await addMember(t, biz, 'member');
      const bound = await createToken(t, asMember(member.token, biz.id), {
        name: 'member-bound',
        allowed_cidrs: ['127.0.0.1'],
        rate_limit_per_minute: 50,
      });
      const res = await postToken(t, asMember(bound.secret, biz.id), {
        name: 'escape',
        allowed_cidrs: ['127.0.0.0/8'],
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('CONSTRAINTS_EXCEED_MAKER');
    });
  });
});

describe.each(DRIVERS)('a token used from outside its networks, on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' });
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  it('spends the client address’s failed-authentication budget, as a bad token does', async () => {
    const token = await createToken(t, asOwner(biz), {
      name: 'bound',
      allowed_cidrs: ['10.0.0.0/8'],
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await me(t, asMember(token.secret, biz.id))).status);
    expect(statuses[0]).toBe(403);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });
});

describe.each(DRIVERS)('a token’s own limit under its identity’s, on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_IDENTITY_PER_MINUTE: '1000' });
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  const aboveIdentity = {
    loc: ['body', 'rate_limit_per_minute'],
    type: 'less_than_equal',
    input: 1001,
    ctx: { le: 1000 },
  };

  it('refuses, at create, a limit above the identity’s, which could never bind; takes one at it', async () => {
    const refused = await postToken(t, asOwner(biz), {
      name: 'above',
      rate_limit_per_minute: 1001,
    }).expect(422);
    expect(refused.body.code).toBe('VALIDATION_ERROR');
    expect(refused.body.detail).toEqual([expect.objectContaining(aboveIdentity)]);
    const taken = await createToken(t, asOwner(biz), { name: 'at', rate_limit_per_minute: 1000 });
    expect(taken.view.rate_limit_per_minute).toBe(1000);
  });

  it('refuses it at rotate too, before looking the token up, and rotates nothing', async () => {
    const token = await createToken(t, asOwner(biz), { name: 'rotated-above' });
    const refused = await rotate(t, asOwner(biz), token.view.id, {
      rate_limit_per_minute: 1001,
    }).expect(422);
    expect(refused.body.detail).toEqual([expect.objectContaining(aboveIdentity)]);
    // A token the caller may not see answers the body's 422 all the same (422 before 404).
    await rotate(t, asOwner(biz), '00000000-0000-4000-8000-000000000000', {
      rate_limit_per_minute: 1001,
    }).expect(422);
    const still = await getToken(t, asOwner(biz), token.view.id).expect(200);
    expect(still.body.data.status).toBe('active');
    await rotate(t, asOwner(biz), token.view.id, { rate_limit_per_minute: 1000 }).expect(201);
  });
});

// Runs only with REDIS_URL, which .ci/run always sets.
const withRedis = describeIf(!!TEST_REDIS_URL, 'set REDIS_URL');

withRedis('a token’s own limit shared through Redis', () => {
  const prefix = `latchkey-test-${randomBytes(6).toString('hex')}:`;
  const env = { REDIS_URL: TEST_REDIS_URL!, REDIS_KEY_PREFIX: prefix, TOKEN_CACHE_TTL_MS: '0' };
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    a = await bootTestApp('sqlite', env);
    b = await bootTestApp('sqlite', env, a.db);
    b.platformToken = a.platformToken;
    redis = new Redis(TEST_REDIS_URL!);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await b.close({ keepDatabase: true });
    await a.close();
  });

  it('a limit of 5 gives 429 on the 6th call across two instances', async () => {
    const biz = await createUnexpiringBusiness(a);
    const limited = await createToken(a, asOwner(biz), {
      name: 'shared',
      rate_limit_per_minute: 5,
    });
    const caller = asMember(limited.secret, biz.id);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await me(i % 2 ? b : a, caller)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await me(a, caller)).status).toBe(429);
    expect(await redis.keys(`${prefix}throttle:*token:${limited.id}*`)).not.toHaveLength(0);
  });

  it('a large limit, leased in slices, is never passed across two instances in parallel', async () => {
    const biz = await createUnexpiringBusiness(a);
    // 300 a minute: each instance leases 3 at a time, so at most 2 × 3 go unserved.
    const limited = await createToken(a, asOwner(biz), {
      name: 'leased',
      rate_limit_per_minute: 300,
    });
    const caller = asMember(limited.secret, biz.id);
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const calls = Array.from({ length: 40 }, (_, i) => me(i % 2 ? b : a, caller));
      for (const res of await Promise.all(calls)) statuses.push(res.status);
    }
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeLessThanOrEqual(300);
    expect(ok).toBeGreaterThanOrEqual(294);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    const keys = await redis.keys(`${prefix}throttle:*token:${limited.id}*`);
    expect(keys).toHaveLength(1);
    expect(Number(await redis.get(keys[0]))).toBeGreaterThanOrEqual(300);
  });
});

withRedis('a token’s own limit while Redis is stalled', () => {
  // A private redis-server, frozen with SIGSTOP: connected, and silent.
  let redis: PrivateRedis;
  let t: TestApp;
  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    // The bound as shipped: the test is of what a request meets when it runs out.
    t = await bootTestApp('sqlite', {
      REDIS_URL: redis.url,
      TOKEN_CACHE_TTL_MS: '0',
      REDIS_COMMAND_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    redis.resume();
    await t.close();
    await redis.stop();
  });

  it('lets a limited token’s requests through, uncounted, within a bounded wait', async () => {
    const biz = await createUnexpiringBusiness(t);
    const limited = await createToken(t, asOwner(biz), {
      name: 'stalled',
      rate_limit_per_minute: 5,
    });
    const caller = asMember(limited.secret, biz.id);
    await me(t, caller).expect(200);
    redis.pause();
    try {
      const started = Date.now();
      const statuses = await Promise.all(
        Array.from({ length: 3 }, () => me(t, caller).then((r) => r.status)),
      );
      expect(statuses).toEqual([200, 200, 200]);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      redis.resume();
    }
  });
});

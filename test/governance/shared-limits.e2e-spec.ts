import {
  addMember,
  BusinessFixture,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, Caller, listAuditEvents, me } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * A business's shared limits: who may read and set them, what a limit takes, and that every
 * gateway check of the business's tokens counts against `default` (per business, per identity,
 * with overrides), whatever token it comes with. A trusted gateway naming a limit, and two
 * instances racing, are shared-limits-gateway.e2e-spec.ts's.
 */
describe.each(DRIVERS)('shared limits on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => (t = await bootTestApp(driver)));
  afterAll(() => t?.close());

  const put = (caller: Caller, name: string, body: object) =>
    t.http().put(`/api/v1/limits/${name}`).set(caller).send(body);
  const del = (caller: Caller, name: string) =>
    t.http().delete(`/api/v1/limits/${name}`).set(caller);
  const list = (caller: Caller) => t.http().get('/api/v1/limits').set(caller);
  const inBusiness = (caller: Caller, biz: BusinessFixture) => ({
    ...caller,
    'x-business-id': biz.id,
  });
  /** A gateway's check of the caller's token (`x-business-id` is no requirement of one). */
  const check = (caller: Caller) =>
    t.http().get('/auth/verify').set('authorization', caller.authorization);
  const checks = async (caller: Caller, n: number) => {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push((await check(caller)).status);
    return statuses;
  };
  /** `n` calls to /api/v1/me, one after another: the statuses. */
  const calls = async (caller: Caller, n: number) => {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push((await me(t, caller)).status);
    return statuses;
  };

  describe('who may read, set and delete them', () => {
    type Who = 'owner' | 'admin' | 'member' | 'machine admin' | 'restricted owner' | 'platform';
    let biz: BusinessFixture;
    const callers = {} as Record<Who, Caller>;
    beforeAll(async () => {
      biz = await createUnexpiringBusiness(t);
      const admin = await addMember(t, biz, 'admin');
      const member = await addMember(t, biz, 'member');
      const machine = await createMachine(t, biz, 'admin');
      const machineToken = await createToken(t, asOwner(biz), {
        name: 'robot',
        identity_id: machine.id,
      });
      const restricted = await createToken(t, asOwner(biz), { name: 'narrow', scopes: [] });
      Object.assign(callers, {
        owner: asOwner(biz),
        admin: asMember(admin.token, biz.id),
        member: asMember(member.token, biz.id),
        'machine admin': asMember(machineToken.secret, biz.id),
        'restricted owner': asMember(restricted.secret, biz.id),
        platform: inBusiness(asPlatform(t), biz),
      });
    });

    /** Who gets what: a status, or the 403's code. */
    const RULES: [Who, 'list' | 'put' | 'delete', number, string | null][] = [];
    const ALLOWED_TO_SET: Record<Who, string | null> = {
      owner: null,
      platform: null,
      admin: 'INSUFFICIENT_ROLE',
      'machine admin': 'INSUFFICIENT_ROLE',
      member: 'INSUFFICIENT_ROLE',
      'restricted owner': 'INSUFFICIENT_SCOPE',
    };
    for (const [who, refused] of Object.entries(ALLOWED_TO_SET) as [Who, string | null][]) {
      const reads = who !== 'member';
      RULES.push([who, 'list', reads ? 200 : 403, reads ? null : 'INSUFFICIENT_ROLE']);
      RULES.push([who, 'put', refused ? 403 : 200, refused]);
      RULES.push([who, 'delete', refused ? 403 : 200, refused]);
    }

    it.each(RULES)('%s: %s answers %i %s', async (who, action, status, code) => {
      const name = `rule-${action}-${who.replace(/ /g, '-')}`;
      if (action === 'delete') {
        await put(asOwner(biz), name, { window: 'minute', per_business: 5 }).expect(200);
      }
      const res =
        action === 'list'
          ? await list(callers[who])
          : action === 'put'
            ? await put(callers[who], name, { window: 'minute', per_identity: 1000 })
            : await del(callers[who], name);
      if (code) return expectError(res, status, code);
      expect(res.status).toBe(status);
      // What it did is what the owner then reads.
      const names = (await list(asOwner(biz)).expect(200)).body.data.items.map(
        (l: { name: string }) => l.name,
      );
      if (action === 'put') expect(names).toContain(name);
      if (action === 'delete') expect(names).not.toContain(name);
    });

    it("sees and changes its own business's limits alone", async () => {
      const other = await createUnexpiringBusiness(t);
      await put(asOwner(other), 'theirs', { window: 'hour', per_business: 7 }).expect(200);
      // The owner of one business naming the other is refused before anything is read.
      const crossed = { ...asOwner(biz), 'x-business-id': other.id };
      expectError(await list(crossed), 403, 'BUSINESS_MISMATCH');
      expectError(
        await put(crossed, 'theirs', { window: 'hour', per_business: 1e6 }),
        403,
        'BUSINESS_MISMATCH',
      );
      expectError(await del(crossed, 'theirs'), 403, 'BUSINESS_MISMATCH');
      const mine = (await list(asOwner(biz)).expect(200)).body.data.items;
      expect(mine.map((l: { name: string }) => l.name)).not.toContain('theirs');
      const theirs = (await list(asOwner(other)).expect(200)).body.data.items;
      expect(theirs).toEqual([expect.objectContaining({ name: 'theirs', per_business: 7 })]);
    });
  });

  describe('what a limit takes', () => {
    let biz: BusinessFixture;
    beforeAll(async () => (biz = await createUnexpiringBusiness(t)));

    const BAD_BODIES: [string, object, (string | number)[]][] = [
      ['no window', { per_business: 5 }, ['body', 'window']],
      ['a sliding window', { window: 'sliding', per_business: 5 }, ['body', 'window']],
      ['a cap of 0', { window: 'minute', per_business: 0 }, ['body', 'per_business']],
      ['a negative cap', { window: 'minute', per_identity: -1 }, ['body', 'per_identity']],
      ['a fractional cap', { window: 'minute', per_identity: 1.5 }, ['body', 'per_identity']],
      [
        'a cap past 10,000,000',
        { window: 'minute', per_business: 1e7 + 1 },
        ['body', 'per_business'],
      ],
      ['no cap at all', { window: 'minute' }, ['body']],
      [
        'an override of no uuid',
        { window: 'minute', overrides: [{ identity_id: 'x', per_identity: 5 }] },
        ['body', 'overrides', 0, 'identity_id'],
      ],
    ];

    it.each(BAD_BODIES)('refuses %s: 422 at its field', async (_why, body, loc) => {
      const res = await put(asOwner(biz), 'api', body);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toContainEqual(loc);
    });

    it.each(['API', '-api', 'a'.repeat(33), 'a.b', 'ä', 'a b', '%0a'])(
      'refuses the name %p: 422 at the path, and no limit is made',
      async (name) => {
        const res = await put(asOwner(biz), encodeURIComponent(name), {
          window: 'minute',
          per_business: 5,
        });
        expectError(res, 422, 'VALIDATION_ERROR');
        expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toEqual([['path', 'name']]);
        expect((await list(asOwner(biz)).expect(200)).body.data.items).toEqual([]);
      },
    );

    it("refuses an override for another business's identity, or one named twice", async () => {
      const other = await createUnexpiringBusiness(t);
      const stranger = await addMember(t, other);
      const member = await addMember(t, biz);
      const foreign = await put(asOwner(biz), 'api', {
        window: 'minute',
        overrides: [
          { identity_id: member.identityId, per_identity: 5 },
          { identity_id: stranger.identityId, per_identity: 5 },
        ],
      });
      expectError(foreign, 422, 'VALIDATION_ERROR');
      expect(foreign.body.detail).toEqual([
        expect.objectContaining({ loc: ['body', 'overrides', 1, 'identity_id'] }),
      ]);
      const twice = await put(asOwner(biz), 'api', {
        window: 'minute',
        overrides: [0, 1].map((i) => ({ identity_id: member.identityId, per_identity: 5 + i })),
      });
      expectError(twice, 422, 'VALIDATION_ERROR');
      expect((await list(asOwner(biz)).expect(200)).body.data.items).toEqual([]);
    });

    it('holds 16 limits, answers 409 for a 17th, and 404 for deleting one it lacks', async () => {
      const full = await createUnexpiringBusiness(t);
      for (let i = 0; i < 16; i++) {
        await put(asOwner(full), `l${i}`, { window: 'hour', per_business: 10 }).expect(200);
      }
      expectError(
        await put(asOwner(full), 'one-more', { window: 'hour', per_business: 10 }),
        409,
        'LIMIT_COUNT_REACHED',
      );
      // Replacing one it holds is no new limit.
      await put(asOwner(full), 'l3', { window: 'minute', per_business: 11 }).expect(200);
      expectError(await del(asOwner(full), 'never-made'), 404, 'LIMIT_NOT_FOUND');
    });

    it('audits each change with before and after, naming who made it', async () => {
      const owned = await createUnexpiringBusiness(t);
      const member = await addMember(t, owned);
      await put(asOwner(owned), 'api', { window: 'minute', per_identity: 600 }).expect(200);
      const body = {
        window: 'minute',
        per_identity: 600,
        overrides: [{ identity_id: member.identityId, per_identity: 6000 }],
      };
      await put(asOwner(owned), 'api', body).expect(200);
      await del(asOwner(owned), 'api').expect(200);
      const events = (await listAuditEvents(t, asOwner(owned), {}).expect(200)).body.data.items
        .filter((e: { action: string }) => e.action.startsWith('business_limit.'))
        .reverse();
      expect(events.map((e: { action: string }) => e.action)).toEqual([
        'business_limit.set',
        'business_limit.set',
        'business_limit.deleted',
      ]);
      expect(events[1].metadata).toEqual({
        name: 'api',
        before: { window: 'minute', per_business: null, per_identity: 600, overrides: [] },
        after: {
          window: 'minute',
          per_business: null,
          per_identity: 600,
          overrides: [{ identity_id: member.identityId, per_identity: 6000 }],
        },
      });
      expect(events[1].actor.label).toBe(owned.ownerEmail);
    });
  });

  describe('every gateway check counts against default', () => {
    it('caps the business: any token of any identity, 429 with the RateLimit fields naming it', async () => {
      const biz = await createUnexpiringBusiness(t);
      const member = await addMember(t, biz);
      await put(asOwner(biz), 'default', { window: 'minute', per_business: 3 }).expect(200);
      expect(await checks(asOwner(biz), 2)).toEqual([204, 204]);
      expect(await checks(asMember(member.token, biz.id), 1)).toEqual([204]);
      const refused = await check(asMember(member.token, biz.id));
      expectError(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.headers['ratelimit-policy']).toBe('"default";q=3;w=60');
      expect(refused.headers['ratelimit']).toMatch(/^"default";r=0;t=\d+$/);
      // Another business's checks count apart, and the API's own routes count against nothing.
      const other = await createUnexpiringBusiness(t);
      expect(await checks(asOwner(other), 4)).toEqual([204, 204, 204, 204]);
      expect(await calls(asOwner(biz), 4)).toEqual([200, 200, 200, 200]);
    });

    it('caps each identity: more tokens buy nothing, others keep theirs, an override changes one', async () => {
      const biz = await createUnexpiringBusiness(t);
      const alice = await addMember(t, biz);
      const bob = await addMember(t, biz);
      const carol = await addMember(t, biz);
      const second = await createToken(t, asMember(alice.token, biz.id), { name: 'another' });
      await put(asOwner(biz), 'default', {
        window: 'hour',
        per_identity: 2,
        overrides: [{ identity_id: carol.identityId, per_identity: 4 }],
      }).expect(200);
      expect(await checks(asMember(alice.token, biz.id), 1)).toEqual([204]);
      expect(await checks(asMember(second.secret, biz.id), 2)).toEqual([204, 429]);
      const refused = await check(asMember(alice.token, biz.id));
      expect(refused.headers['ratelimit-policy']).toBe('"default/identity";q=2;w=3600');
      expect(await checks(asMember(bob.token, biz.id), 3)).toEqual([204, 204, 429]);
      expect(await checks(asMember(carol.token, biz.id), 5)).toEqual([204, 204, 204, 204, 429]);
    });

    it('applies a change at once, its new cap counted afresh, and a deleted limit limits nothing', async () => {
      const biz = await createUnexpiringBusiness(t);
      await put(asOwner(biz), 'default', { window: 'hour', per_business: 1000 }).expect(200);
      expect(await checks(asOwner(biz), 3)).toEqual([204, 204, 204]);
      await put(asOwner(biz), 'default', { window: 'hour', per_business: 2 }).expect(200);
      expect(await checks(asOwner(biz), 3)).toEqual([204, 204, 429]);
      await del(asOwner(biz), 'default').expect(200);
      expect(await checks(asOwner(biz), 3)).toEqual([204, 204, 204]);
    });

    it('tells the relying party to check online while a limit counts, and not before', async () => {
      const biz = await createUnexpiringBusiness(t);
      const online = async () => (await check(asOwner(biz))).headers['x-latchkey-check-online'];
      expect(await online()).toBe('');
      await put(asOwner(biz), 'default', { window: 'hour', per_business: 100 }).expect(200);
      expect(await online()).toBe('rate_limit');
      await put(asOwner(biz), 'exports', { window: 'hour', per_business: 1 }).expect(200);
      await del(asOwner(biz), 'default').expect(200);
      // A limit of another name counts against nothing a check without X-Latchkey-Limit makes.
      expect(await checks(asOwner(biz), 2)).toEqual([204, 204]);
      expect(await online()).toBe('');
    });

    it('refuses a limit named by a caller the installation does not trust, or malformed', async () => {
      const biz = await createUnexpiringBusiness(t);
      await put(asOwner(biz), 'cheap', { window: 'hour', per_business: 1000 }).expect(200);
      await put(asOwner(biz), 'default', { window: 'hour', per_business: 1 }).expect(200);
      const named = (name: string) => check(asOwner(biz)).set('x-latchkey-limit', name);
      expectError(await named('cheap'), 403, 'GATEWAY_NOT_TRUSTED');
      expectError(await named('default'), 403, 'GATEWAY_NOT_TRUSTED');
      // Nothing was counted for the refusals: default still has its one.
      expect(await checks(asOwner(biz), 2)).toEqual([204, 429]);
    });

    it('leaves platform tokens uncounted', async () => {
      const biz = await createUnexpiringBusiness(t);
      await put(asOwner(biz), 'default', { window: 'hour', per_business: 2 }).expect(200);
      expect(await checks(asPlatform(t), 3)).toEqual([204, 204, 204]);
      expect(await checks(asOwner(biz), 3)).toEqual([204, 204, 429]);
    });
  });
});

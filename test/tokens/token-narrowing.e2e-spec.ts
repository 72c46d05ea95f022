import type { Response } from 'supertest';
import { InvalidationMessage, RevocationBus } from '../../src/bus/revocation-bus';
import {
  addMember,
  BusinessFixture,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, Caller, listAuditEvents, me, rotate } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { expectValidation } from '../harness/app/token-checks';
import { DRIVERS } from '../setup/servers';

const DAY = 86_400_000;

/** A 403 WIDENING_NOT_ALLOWED whose detail names these fields, in order, and nothing else. */
function expectWidening(res: Response, fields: string[]): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({
    status: 403,
    code: 'WIDENING_NOT_ALLOWED',
  });
  expect(res.body.detail).toEqual(
    fields.map((f) => expect.objectContaining({ loc: ['body', f], type: 'widening' })),
  );
}
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

/** The token every widening is tried on: restricted in every field a PATCH may narrow. */
const RESTRICTED = {
  scopes: ['audit:read', 'deploy:*'],
  expires_in_days: 10,
  allowed_cidrs: ['127.0.0.0/8', '::1/128', '::ffff:127.0.0.0/104'],
  rate_limit_per_minute: 100,
};

/** Every widening, field by field: the body, and the field the 403 names. */
const WIDENINGS: [string, () => Record<string, unknown>, string][] = [
  ['a scope more', () => ({ scopes: ['audit:read', 'tokens:admin'] }), 'scopes'],
  ['a wider wildcard', () => ({ scopes: ['audit:*'] }), 'scopes'],
  ['unrestricted scopes', () => ({ scopes: null }), 'scopes'],
  ['a later expiry', () => ({ expires_at: inDays(20) }), 'expires_at'],
  ['no expiry', () => ({ expires_at: null }), 'expires_at'],
  ['a network outside', () => ({ allowed_cidrs: ['10.0.0.0/8'] }), 'allowed_cidrs'],
  ['a wider network', () => ({ allowed_cidrs: ['0.0.0.0/0'] }), 'allowed_cidrs'],
  ['anywhere', () => ({ allowed_cidrs: null }), 'allowed_cidrs'],
  ['a higher limit', () => ({ rate_limit_per_minute: 101 }), 'rate_limit_per_minute'],
  ['no limit', () => ({ rate_limit_per_minute: null }), 'rate_limit_per_minute'],
];

/**
 * Edits that only narrow: PATCH takes scopes, expires_at, allowed_cidrs and
 * rate_limit_per_minute, each only narrower; anything wider is 403 WIDENING_NOT_ALLOWED, field by
 * field, and nothing changes. A narrowing reaches every instance's cache at once. The rule
 * itself, cell by cell: src/tokens/policy/token-narrowing.spec.ts.
 */
describe.each(DRIVERS)('Narrowing a token on %s', (driver) => {
  let t: TestApp;
  let b: BusinessFixture;
  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '10000' });
    b = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  const patch = (caller: Caller, id: string, body: object) =>
    t.http().patch(`/api/v1/tokens/${id}`).set(caller).send(body);
  const row = async (id: string) =>
    (await t.sql<Record<string, unknown>>('SELECT * FROM api_tokens WHERE id = ?', [id]))[0];
  const restricted = (caller: Caller = asOwner(b)) => createToken(t, caller, RESTRICTED);
  const updatesOf = async (id: string) => {
    const res = await listAuditEvents(t, asOwner(b), { action: 'token.updated', limit: 100 });
    return (res.body.data.items as { target: { id: string }; metadata: object }[]).filter(
      (e) => e.target.id === id,
    );
  };

  it.each(WIDENINGS)(
    'refuses %s: 403 WIDENING_NOT_ALLOWED naming it, nothing changed',
    async (_name, body, field) => {
      const tok = await restricted();
      const before = await row(tok.id);
      const res = await patch(asOwner(b), tok.id, { name: 'sneaky', ...body() });
      expectWidening(res, [field]);
      expect(await row(tok.id)).toEqual(before);
      expect(await updatesOf(tok.id)).toEqual([]);
    },
  );

  it('names every widening field of one PATCH, and applies not even its narrowings', async () => {
    const tok = await restricted();
    const before = await row(tok.id);
    const res = await patch(asOwner(b), tok.id, {
      scopes: ['audit:read'],
      expires_at: inDays(30),
      rate_limit_per_minute: 1000,
    });
    expectWidening(res, ['expires_at', 'rate_limit_per_minute']);
    expect(await row(tok.id)).toEqual(before);
  });

  it('narrows every field at once, audited with before and after', async () => {
    const tok = await restricted();
    const expires = inDays(5);
    const res = await patch(asOwner(b), tok.id, {
      scopes: ['deploy:prod'],
      expires_at: expires,
      allowed_cidrs: ['127.0.0.1', '::1'],
      rate_limit_per_minute: 10,
    });
    expect({ status: res.status, data: res.body.data }).toMatchObject({
      status: 200,
      data: {
        scopes: ['deploy:prod'],
        expires_at: expires,
        allowed_cidrs: ['127.0.0.1/32', '::1/128'],
        rate_limit_per_minute: 10,
      },
    });
    const [event] = await updatesOf(tok.id);
    expect(event.metadata).toMatchObject({
      changed: ['scopes', 'expires_at', 'allowed_cidrs', 'rate_limit_per_minute'],
      before: {
        scopes: RESTRICTED.scopes,
        allowed_cidrs: tok.view.allowed_cidrs,
        rate_limit_per_minute: 100,
      },
      after: {
        scopes: ['deploy:prod'],
        expires_at: expires,
        allowed_cidrs: ['127.0.0.1/32', '::1/128'],
        rate_limit_per_minute: 10,
      },
    });
    // The same values again are no change: nothing more is audited.
    await patch(asOwner(b), tok.id, { scopes: ['deploy:prod'], rate_limit_per_minute: 10 }).expect(
      200,
    );
    expect(await updatesOf(tok.id)).toHaveLength(1);
  });

  it('takes effect at once: the narrowed token is evicted and refused from elsewhere', async () => {
    const tok = await createToken(t, asOwner(b), { name: 'cached' });
    await me(t, asMember(tok.secret, b.id)).expect(200);
    const seen: InvalidationMessage[] = [];
    const unsubscribe = t.app.get(RevocationBus).subscribe((m) => seen.push(m));
    try {
      await patch(asOwner(b), tok.id, { allowed_cidrs: ['203.0.113.0/24'] }).expect(200);
    } finally {
      unsubscribe();
    }
    expect(seen).toContainEqual({ type: 'token.changed', business_id: b.id, jti: tok.jti });
    expectError(await me(t, asMember(tok.secret, b.id)), 403, 'IP_NOT_ALLOWED');
  });

  it("lets a member narrow their own token, never widen it, nor touch another's", async () => {
    const alice = await addMember(t, b);
    const own = await createToken(t, asMember(alice.token, b.id), {
      scopes: [],
      rate_limit_per_minute: 10,
    });
    const res = await patch(asMember(own.secret, b.id), own.id, { rate_limit_per_minute: 11 });
    expectWidening(res, ['rate_limit_per_minute']);
    expectWidening(
      await patch(asMember(alice.token, b.id), own.id, { rate_limit_per_minute: null }),
      ['rate_limit_per_minute'],
    );
    await patch(asMember(own.secret, b.id), own.id, { rate_limit_per_minute: 5 }).expect(200);
    const owners = await restricted();
    expectError(
      await patch(asMember(alice.token, b.id), owners.id, { scopes: [] }),
      404,
      'TOKEN_NOT_FOUND',
    );
    expect((await row(owners.id)).scopes).not.toBeNull();
  });

  it('of two parallel narrowings that disagree, lets one win and refuses the other', async () => {
    for (let i = 0; i < 5; i++) {
      const tok = await createToken(t, asOwner(b), { scopes: ['a:x', 'b:x', 'c:x'] });
      const answers: Response[] = await Promise.all([
        patch(asOwner(b), tok.id, { scopes: ['a:x', 'b:x'] }),
        patch(asOwner(b), tok.id, { scopes: ['b:x', 'c:x'] }),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 403]);
      const winner = answers.find((r) => r.status === 200)!;
      expect(JSON.parse((await row(tok.id)).scopes as string)).toEqual(winner.body.data.scopes);
    }
  });

  it('never lets a parallel rotation hand its successor what a narrowing took away', async () => {
    for (let i = 0; i < 5; i++) {
      const tok = await createToken(t, asOwner(b), { scopes: ['a:x', 'b:x'] });
      const [narrow, rotated] = await Promise.all([
        patch(asOwner(b), tok.id, { scopes: ['a:x'] }),
        rotate(t, asOwner(b), tok.id),
      ]);
      expect(rotated.status).toBe(201);
      if (narrow.status === 200) expect(rotated.body.data.scopes).toEqual(['a:x']);
      else expectError(narrow, 409, 'TOKEN_ALREADY_ROTATED');
    }
  });

  it.each([
    ['an expiry in the past', { expires_at: '2020-01-01T00:00:00Z' }, ['body', 'expires_at']],
    ['an empty network list', { allowed_cidrs: [] }, ['body', 'allowed_cidrs']],
    ['a network that is none', { allowed_cidrs: ['10.0.0.300/8'] }, ['body', 'allowed_cidrs']],
    ['a limit of 0', { rate_limit_per_minute: 0 }, ['body', 'rate_limit_per_minute']],
    ['a scope of bad shape', { scopes: ['Not A Scope'] }, ['body', 'scopes']],
  ])('answers 422 for %s, before any rule', async (_name, body, loc) => {
    const tok = await restricted();
    expectValidation(await patch(asOwner(b), tok.id, body), loc);
  });
});

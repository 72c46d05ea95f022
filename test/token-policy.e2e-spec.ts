import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { scopesWithin } from '../src/auth/scopes';
import {
  CallerClass,
  TargetClass,
  TOKEN_ACTIONS,
  TOKEN_POLICY,
  TokenAction,
} from '../src/tokens/token-policy';
import { Decision, decideOnToken } from '../src/tokens/policy-decision';
import { Author, SYSTEM_AUTHOR } from '../src/database/domain-event';
import { UnitOfWork } from '../src/database/unit-of-work';
import { hashSecret } from '../src/tokens/token-secret';
import { TokenIssuanceService } from '../src/tokens/token-issuance.service';
import {
  addMember,
  asMember,
  BusinessFixture,
  createBusiness,
  createMachine,
} from './factories/tenancy.factory';
import { expectError } from './helpers/assertions';
import { bootTestApp, TestApp } from './helpers/test-app';
import { DRIVERS } from './setup/servers';

/**
 * Every cell of TOKEN_POLICY, run on a live app: each action × caller × calling-token scopes ×
 * target, with `decide()` as the oracle. A hand-picked example proves one row; an attacker uses
 * another. The regression tests at the top are the findings of a security review, named.
 */

const SECRET = /lk_[0-9A-Za-z]{36}/;
const SECRET_ONLY = /^lk_[0-9A-Za-z]{36}$/;

type Row = Record<string, unknown>;

/**
 * Who calls. A machine identity acts at its role (admin here); it is never an owner. `retiring`
 * is an owner's token in its rotation grace period.
 */
type CallerName = 'owner' | 'admin' | 'member' | 'machine' | 'platform' | 'retiring';
const CALLER_NAMES: readonly CallerName[] = [
  'owner',
  'admin',
  'member',
  'machine',
  'platform',
  'retiring',
];
const POLICY_CLASS: Record<CallerName, CallerClass> = {
  owner: 'owner',
  admin: 'admin',
  member: 'member',
  machine: 'admin',
  platform: 'platform',
  retiring: 'retiring',
};

/** The calling token's scopes: unrestricted, none, and each built-in scope alone. */
const SCOPE_SETS: readonly (string[] | null)[] = [
  null,
  [],
  ['tokens:admin'],
  ['members:read'],
  ['members:write'],
  ['audit:read'],
  ['introspect'],
];

/**
 * A member's token never holds these (asking for one is 403 SCOPE_ESCALATION), so the member
 * caller has no such token to call with, and those combinations cannot arise.
 */
const ADMIN_ONLY_SCOPES = ['tokens:admin', 'members:read', 'members:write', 'audit:read'];

/** One route of an action, and the status it answers when allowed. */
interface Route {
  action: TokenAction;
  method: 'post' | 'patch' | 'delete';
  path: string;
  ok: number;
  /** The targets this route can name, when fewer than the action's. */
  only?: readonly TargetClass[];
}

/** Revokes the calling token itself: the one route where the caller's token is the target. */
const SELF_REVOKE = '/api/v1/tokens/self/revoke';

/**
 * Every action's routes. A Record, so that an action added to the table without a route here
 * fails to compile. Run in TOKEN_ACTIONS order: re-issue and the first-token actions come after
 * every case that makes target tokens with the people's first tokens.
 */
const ROUTES: Record<TokenAction, readonly Omit<Route, 'action'>[]> = {
  issue: [{ method: 'post', path: '/api/v1/tokens', ok: 201 }],
  rotate: [{ method: 'post', path: '/api/v1/tokens/:id/rotate', ok: 201 }],
  rename: [{ method: 'patch', path: '/api/v1/tokens/:id', ok: 200 }],
  revoke: [
    { method: 'post', path: '/api/v1/tokens/:id/revoke', ok: 201 },
    { method: 'delete', path: '/api/v1/tokens/:id', ok: 200 },
    { method: 'post', path: SELF_REVOKE, ok: 201, only: ['self'] },
  ],
  reissue: [{ method: 'post', path: '/api/v1/members/:id/token', ok: 201 }],
  add_member: [{ method: 'post', path: '/api/v1/members', ok: 201 }],
  create_business: [{ method: 'post', path: '/platform/v1/businesses', ok: 201 }],
  add_platform_admin: [{ method: 'post', path: '/platform/v1/admins', ok: 201 }],
};
const ALL_ROUTES: Route[] = TOKEN_ACTIONS.flatMap((action) =>
  ROUTES[action].map((r) => ({ action, ...r })),
);

/** The routes that name an existing token by its id. */
const namesToken = (route: Route) => route.path.startsWith('/api/v1/tokens/:id');

interface Case {
  name: string;
  route: Route;
  caller: CallerName;
  scopes: string[] | null;
  target: TargetClass;
  expected: Decision;
}

const scopesLabel = (scopes: readonly string[] | null) =>
  scopes === null ? 'unrestricted' : `[${scopes.join(',')}]`;

const decisionLabel = (d: Decision, route: Route) =>
  d.allowed ? `${route.ok}` : d.status === 404 ? '404' : `403 ${d.code}`;

function casesOf(route: Route): Case[] {
  const cases: Case[] = [];
  for (const caller of CALLER_NAMES) {
    for (const scopes of SCOPE_SETS) {
      if (caller === 'member' && scopes?.some((s) => ADMIN_ONLY_SCOPES.includes(s))) continue;
      for (const target of TOKEN_POLICY[route.action].targets) {
        if (route.only && !route.only.includes(target)) continue;
        // A platform admin is no member of the business, so holds no token in it that a
        // by-id business route could name as its own. A platform token is outside every
        // business: the review findings below check that these routes answer 404 for one.
        if (caller === 'platform' && target === 'self' && namesToken(route)) continue;
        // Self-revoke's target is the calling token itself, which a token may always revoke.
        const expected = decideOnToken(
          route.action,
          { class: POLICY_CLASS[caller], scopes, expiresAt: null },
          target,
          route.path === SELF_REVOKE,
        );
        cases.push({
          name: `${caller} ${scopesLabel(scopes)} → ${target}: ${decisionLabel(expected, route)}`,
          route,
          caller,
          scopes: scopes === null ? null : [...scopes],
          target,
          expected,
        });
      }
    }
  }
  return cases;
}

/** The scopes column read back: JSON text on both drivers; null stays null. */
function scopesOf(value: unknown): string[] | null {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return (parsed ?? null) as string[] | null;
}

/** The status, with the body shown when it is not the one expected. */
function expectStatus(res: Response, status: number): void {
  expect({ status: res.status, body: res.status === status ? 'as expected' : res.body }).toEqual({
    status,
    body: 'as expected',
  });
}

let counter = 0;
const freshEmail = (label: string) => `${label}-${process.pid}-${++counter}@policy.test`;

/** A person of the business: their identity, email and unrestricted first token. */
interface Person {
  id: string;
  email: string;
  firstToken: string;
}

describe.each(DRIVERS)('token policy on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let ownerA: Person;
  let ownerB: Person;
  let adminA: Person;
  let adminB: Person;
  let memberA: Person;
  let memberB: Person;
  /** The calling machine (admin role), with the unrestricted token the owner made for it. */
  let m1: { id: string; firstToken: string };
  /** The target machine (member role). */
  let m2: { id: string };
  let platformAdmin: { id: string; email: string };
  let uow: UnitOfWork;
  let tokensService: TokenIssuanceService;
  /** Calling tokens by `${caller} ${scopesLabel}`. */
  const calling = new Map<string, string>();

  const callingToken = (caller: CallerName, scopes: readonly string[] | null): string => {
    const token = calling.get(`${caller} ${scopesLabel(scopes)}`);
    if (!token) throw new Error(`no calling token for ${caller} ${scopesLabel(scopes)}`);
    return token;
  };

  const callerIdentity = (caller: CallerName): string =>
    ({
      owner: ownerA.id,
      admin: adminA.id,
      member: memberA.id,
      machine: m1.id,
      platform: platformAdmin.id,
      retiring: ownerA.id,
    })[caller];

  /** The unrestricted token a business caller makes its own tokens with. */
  const ownFirstToken = (caller: Exclude<CallerName, 'platform'>): string =>
    ({
      owner: ownerA.firstToken,
      retiring: ownerA.firstToken,
      admin: adminA.firstToken,
      member: memberA.firstToken,
      machine: m1.firstToken,
    })[caller];

  const tokenRow = async (id: string): Promise<Row | undefined> =>
    (await t.sql('SELECT * FROM api_tokens WHERE id = ?', [id]))[0];

  const countTokens = async (): Promise<number> =>
    Number((await t.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM api_tokens'))[0].n);

  /** The roles the person with this email holds in a business. */
  const rolesOf = async (businessId: string, email: string): Promise<unknown[]> =>
    (
      await t.sql<{ role: unknown }>(
        'SELECT m.role AS role FROM memberships m JOIN identities i ON i.id = m.identity_id ' +
          'WHERE m.business_id = ? AND i.email = ?',
        [businessId, email],
      )
    ).map((r) => r.role);

  const identitiesWithEmail = (email: string) =>
    t.sql('SELECT id FROM identities WHERE email = ?', [email]);

  /** A token made over HTTP with `maker`; returns its id and secret. */
  const makeToken = async (
    maker: string,
    body: Record<string, unknown>,
  ): Promise<{ id: string; secret: string }> => {
    const res = await t
      .http()
      .post('/api/v1/tokens')
      .set(asMember(maker, biz.id))
      .send({ name: 'made', ...body });
    expectStatus(res, 201);
    return { id: res.body.data.id as string, secret: res.body.data.token as string };
  };

  /** A platform token of the bootstrap platform admin; these cannot be made over HTTP. */
  const makePlatformToken = async (
    name: string,
    scopes: string[] | null,
  ): Promise<{ id: string; secret: string }> => {
    const author: Author = {
      ...SYSTEM_AUTHOR,
      actor: { id: platformAdmin.id, type: 'user', label: platformAdmin.email },
    };
    const { secret, token } = await uow.run((tx) =>
      tokensService.issue(tx, author, {
        businessId: null,
        identityId: platformAdmin.id,
        name,
        scopes,
        expiresAt: null,
      }),
    );
    return { id: token.id, secret };
  };

  /** An owner's token with `body`, rotated with a grace period: the retiring old one. */
  const makeRetiringToken = async (
    body: Record<string, unknown>,
  ): Promise<{ id: string; secret: string }> => {
    const old = await makeToken(ownerA.firstToken, body);
    const res = await t
      .http()
      .post(`/api/v1/tokens/${old.id}/rotate`)
      .set(asMember(old.secret, biz.id))
      .send({ grace_period_seconds: 86_400 });
    expectStatus(res, 201);
    return old;
  };

  beforeAll(async () => {
    t = await bootTestApp(driver, {
      TOKEN_CACHE_TTL_MS: '0',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
      // The matrix makes hundreds of tokens for a few people.
      MAX_ACTIVE_TOKENS_PER_IDENTITY: '0',
    });
    uow = t.app.get(UnitOfWork);
    tokensService = t.app.get(TokenIssuanceService);

    biz = await createBusiness(t);
    ownerA = { id: biz.ownerId, email: biz.ownerEmail, firstToken: biz.ownerToken };
    const person = async (role: 'owner' | 'admin' | 'member'): Promise<Person> => {
      const m = await addMember(t, biz, role);
      return { id: m.identityId, email: m.email, firstToken: m.token };
    };
    ownerB = await person('owner');
    adminA = await person('admin');
    adminB = await person('admin');
    memberA = await person('member');
    memberB = await person('member');
    const machine1 = await createMachine(t, biz, 'admin');
    m1 = {
      id: machine1.id,
      firstToken: (await makeToken(ownerA.firstToken, { identity_id: machine1.id })).secret,
    };
    m2 = { id: (await createMachine(t, biz, 'member')).id };

    const [platformRow] = await t.sql<{ identity_id: string }>(
      'SELECT identity_id FROM api_tokens WHERE token_hash = ?',
      [hashSecret(t.platformToken)],
    );
    const [platformIdentity] = await t.sql<{ email: string }>(
      'SELECT email FROM identities WHERE id = ?',
      [platformRow.identity_id],
    );
    platformAdmin = { id: platformRow.identity_id, email: platformIdentity.email };

    const scoped = (scopes: string[] | null) => (scopes === null ? {} : { scopes });
    for (const scopes of SCOPE_SETS) {
      const key = scopesLabel(scopes);
      const body = { name: `calling ${key}`, ...scoped(scopes) };
      // People make their own calling tokens; the owner makes the machine's.
      calling.set(`owner ${key}`, (await makeToken(ownerA.firstToken, body)).secret);
      calling.set(`admin ${key}`, (await makeToken(adminA.firstToken, body)).secret);
      if (!scopes?.some((s) => ADMIN_ONLY_SCOPES.includes(s))) {
        calling.set(`member ${key}`, (await makeToken(memberA.firstToken, body)).secret);
      }
      calling.set(
        `machine ${key}`,
        (await makeToken(ownerA.firstToken, { ...body, identity_id: m1.id })).secret,
      );
      calling.set(`retiring ${key}`, (await makeRetiringToken(body)).secret);
      calling.set(
        `platform ${key}`,
        scopes === null ? t.platformToken : (await makePlatformToken(body.name, scopes)).secret,
      );
    }
  }, 120_000);
  afterAll(() => t.close());

  // ---------------------------------------------------------------------------------------------
  describe('findings of the security review', () => {
    it("an admin cannot rotate an owner's token, even with a grace period: 403 NOT_TOKEN_HOLDER, no successor", async () => {
      const owners = await makeToken(ownerA.firstToken, { name: 'owner-ci' });
      const before = await tokenRow(owners.id);

      const res = await t
        .http()
        .post(`/api/v1/tokens/${owners.id}/rotate`)
        .set(asMember(callingToken('admin', null), biz.id))
        .send({ grace_period_seconds: 604800 });

      expectError(res, 403, 'NOT_TOKEN_HOLDER');
      expect(JSON.stringify(res.body)).not.toMatch(SECRET);
      const [successors] = await t.sql<{ n: unknown }>(
        'SELECT COUNT(*) AS n FROM api_tokens WHERE rotated_from_id = ?',
        [owners.id],
      );
      expect(Number(successors.n)).toBe(0);
      // The grace path would have cut the old token's life short: it must be untouched.
      expect(await tokenRow(owners.id)).toEqual(before);
      const me = await t.http().get('/api/v1/me').set(asMember(owners.secret, biz.id));
      expectStatus(me, 200);
      expect(me.body.data.identity.id).toBe(ownerA.id);
    });

    it("an admin's bulk revoke, the other route, skips an owner's tokens and takes the rest", async () => {
      // Fresh people: a bulk revoke by identity takes their first tokens too.
      const owner = await addMember(t, biz, 'owner');
      const member = await addMember(t, biz, 'member');
      const bulk = (identityId: string) =>
        t
          .http()
          .post('/api/v1/tokens/bulk-revoke')
          .set(asMember(callingToken('admin', null), biz.id))
          .send({ identity_id: identityId, reason: 'bulk by an admin' });

      const onOwner = await bulk(owner.identityId);
      expectStatus(onOwner, 200);
      expect(onOwner.body.data).toEqual({ matched: 0, revoked: 0, token_ids: [] });
      expectStatus(await t.http().get('/api/v1/me').set(asMember(owner.token, biz.id)), 200);

      const onMember = await bulk(member.identityId);
      expectStatus(onMember, 200);
      expect(onMember.body.data).toMatchObject({ matched: 1, revoked: 1 });
      const me = await t.http().get('/api/v1/me').set(asMember(member.token, biz.id));
      expect(me.status).toBe(401);
    });

    it("a platform token cannot rotate a member's token: 403, and no secret", async () => {
      const members = await makeToken(memberB.firstToken, { name: 'member-laptop' });
      const count = await countTokens();

      const res = await t
        .http()
        .post(`/api/v1/tokens/${members.id}/rotate`)
        .set(asMember(t.platformToken, biz.id))
        .send({});

      expectError(res, 403, 'NOT_TOKEN_HOLDER');
      expect(JSON.stringify(res.body)).not.toMatch(SECRET);
      expect(await countTokens()).toBe(count);
      expect((await tokenRow(members.id))?.revoked_at).toBeNull();
    });

    it("no business route reaches a platform token by id, not even its holder's: 404", async () => {
      const own = await makePlatformToken('platform-own', null);
      const before = await tokenRow(own.id);
      const count = await countTokens();
      for (const caller of [t.platformToken, callingToken('owner', null)]) {
        const as = asMember(caller, biz.id);
        const answers = [
          await t.http().post(`/api/v1/tokens/${own.id}/rotate`).set(as).send({}),
          await t.http().patch(`/api/v1/tokens/${own.id}`).set(as).send({ name: 'renamed' }),
          await t.http().post(`/api/v1/tokens/${own.id}/revoke`).set(as).send({ reason: 'x' }),
          await t.http().delete(`/api/v1/tokens/${own.id}`).set(as),
        ];
        for (const res of answers) expectError(res, 404, 'TOKEN_NOT_FOUND');
      }
      expect(await countTokens()).toBe(count);
      expect(await tokenRow(own.id)).toEqual(before);
    });

    it('listing members and machines needs members:read (or members:write), even for an owner', async () => {
      for (const path of ['/api/v1/members', '/api/v1/machine-identities']) {
        const none = await t
          .http()
          .get(path)
          .set(asMember(callingToken('owner', []), biz.id));
        expectError(none, 403, 'INSUFFICIENT_SCOPE');
        for (const scope of ['members:read', 'members:write']) {
          const res = await t
            .http()
            .get(path)
            .set(asMember(callingToken('owner', [scope]), biz.id));
          expectStatus(res, 200);
        }
      }
    });

    it("a members:write-only token's new member gets a first token capped at that token's scopes", async () => {
      const maker = callingToken('admin', ['members:write']);
      const add = (role: 'admin' | 'member') =>
        t
          .http()
          .post('/api/v1/members')
          .set(asMember(maker, biz.id))
          .send({ email: freshEmail(role), role });

      const admin = await add('admin');
      expectStatus(admin, 201);
      const adminFirst = admin.body.data.first_token;
      expect(adminFirst.scopes).toEqual(['members:write']);
      expect(scopesOf((await tokenRow(adminFirst.id))?.scopes)).toEqual(['members:write']);
      const audit = await t
        .http()
        .get('/api/v1/audit-events')
        .set(asMember(adminFirst.token as string, biz.id));
      expectError(audit, 403, 'INSUFFICIENT_SCOPE');

      const member = await add('member');
      expectStatus(member, 201);
      expect(member.body.data.first_token.scopes).toEqual([]);
      expect(scopesOf((await tokenRow(member.body.data.first_token.id))?.scopes)).toEqual([]);
    });

    it('an owner cannot add a platform admin to the business: 403 PLATFORM_ADMIN_REQUIRED', async () => {
      const count = await countTokens();
      const res = await t
        .http()
        .post('/api/v1/members')
        .set(asMember(callingToken('owner', null), biz.id))
        .send({ email: platformAdmin.email, role: 'member' });

      expectError(res, 403, 'PLATFORM_ADMIN_REQUIRED');
      expect(JSON.stringify(res.body)).not.toMatch(SECRET);
      const memberships = await t.sql('SELECT * FROM memberships WHERE identity_id = ?', [
        platformAdmin.id,
      ]);
      expect(memberships).toEqual([]);
      expect(await countTokens()).toBe(count);
    });

    it('names the acting token and who issued it in the audit event of a token a member made', async () => {
      const owner = callingToken('owner', null);
      const added = await t
        .http()
        .post('/api/v1/members')
        .set(asMember(owner, biz.id))
        .send({ email: freshEmail('traced'), role: 'member' });
      expectStatus(added, 201);
      const memberId = added.body.data.member.identity_id as string;
      const first = added.body.data.first_token as { id: string; token: string };
      const made = await makeToken(first.token, { name: 'made-by-member' });

      const res = await t
        .http()
        .get('/api/v1/audit-events')
        .query({ action: 'token.created', target_id: made.id })
        .set(asMember(owner, biz.id));
      expectStatus(res, 200);
      const events = res.body.data.items as { target: { id: string }; actor: unknown }[];
      expect(events).toHaveLength(1);
      expect(events[0].actor).toMatchObject({
        id: memberId,
        token_id: first.id,
        issued_by: { id: ownerA.id, label: ownerA.email },
      });
    });

    describe('re-issuing a first token', () => {
      const reissue = (token: string, identityId: string) =>
        t.http().post(`/api/v1/members/${identityId}/token`).set(asMember(token, biz.id)).send({});

      it("an admin re-issues a member's first token, which then works as the member", async () => {
        const member = await addMember(t, biz, 'member');
        const res = await reissue(callingToken('admin', null), member.identityId);
        expectStatus(res, 201);
        expect(res.body.data.token).toMatch(SECRET_ONLY);
        expect(res.body.data.identity_id).toBe(member.identityId);
        const me = await t
          .http()
          .get('/api/v1/me')
          .set(asMember(res.body.data.token as string, biz.id));
        expectStatus(me, 200);
        expect(me.body.data.identity.id).toBe(member.identityId);
      });

      it("an admin may not re-issue an owner's first token", async () => {
        const owner = await addMember(t, biz, 'owner');
        const count = await countTokens();
        const res = await reissue(callingToken('admin', null), owner.identityId);
        expectError(res, 403, 'INSUFFICIENT_ROLE');
        expect(JSON.stringify(res.body)).not.toMatch(SECRET);
        expect(await countTokens()).toBe(count);
      });

      it("an owner may not re-issue another owner's first token: 403 NOT_TOKEN_HOLDER", async () => {
        const owner = await addMember(t, biz, 'owner');
        const count = await countTokens();
        const res = await reissue(callingToken('owner', null), owner.identityId);
        expectError(res, 403, 'NOT_TOKEN_HOLDER');
        expect(JSON.stringify(res.body)).not.toMatch(SECRET);
        expect(await countTokens()).toBe(count);
      });

      it('an owner re-issues their own first token', async () => {
        const owner = await addMember(t, biz, 'owner');
        const res = await reissue(owner.token, owner.identityId);
        expectStatus(res, 201);
        expect(res.body.data.token).toMatch(SECRET_ONLY);
        expect((await tokenRow(res.body.data.id as string))?.identity_id).toBe(owner.identityId);
      });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('every cell of TOKEN_POLICY', () => {
    /** The identity a target class names, for issue and re-issue. */
    const targetIdentity = (c: Case): string => {
      switch (c.target) {
        case 'self':
          return callerIdentity(c.caller);
        case 'machine':
          return m2.id;
        case 'owner':
          return ownerB.id;
        case 'admin':
          return adminB.id;
        case 'member':
          return memberB.id;
        case 'unknown':
          return randomUUID();
      }
    };

    /**
     * A fresh token of the target, made for this case alone. People make their own; the owner
     * makes a machine's. It holds no scope when the caller is restricted, so that rotating it
     * is never refused by the separate rule that a caller grants no more than it holds.
     */
    const targetToken = async (c: Case): Promise<string> => {
      const scopes = c.scopes === null ? {} : { scopes: [] };
      const own = (maker: string) => makeToken(maker, { name: 'target', ...scopes });
      switch (c.target) {
        case 'self':
          return c.caller === 'platform'
            ? (await makePlatformToken('target', c.scopes === null ? null : [])).id
            : (await own(ownFirstToken(c.caller))).id;
        case 'machine':
          return (
            await makeToken(ownerA.firstToken, { name: 'target', identity_id: m2.id, ...scopes })
          ).id;
        case 'owner':
          return (await own(ownerB.firstToken)).id;
        case 'admin':
          return (await own(adminB.firstToken)).id;
        case 'member':
          return (await own(memberB.firstToken)).id;
        case 'unknown':
          return randomUUID();
      }
    };

    /** A calling token like `callingToken(c.caller, c.scopes)`, made for one case. */
    const freshCallingToken = (c: Case): Promise<{ id: string; secret: string }> => {
      const body = { name: 'calling once', ...(c.scopes === null ? {} : { scopes: c.scopes }) };
      switch (c.caller) {
        case 'platform':
          return makePlatformToken(body.name, c.scopes);
        case 'retiring':
          return makeRetiringToken(body);
        case 'machine':
          return makeToken(ownerA.firstToken, { ...body, identity_id: m1.id });
        case 'owner':
        case 'admin':
        case 'member':
          return makeToken(ownFirstToken(c.caller), body);
      }
    };

    describe.each(
      ALL_ROUTES.map((route) => ({
        ...route,
        title: `${route.method.toUpperCase()} ${route.path}`,
      })),
    )('$action: $title', (route) => {
      it.each(casesOf(route))('$name', async (c) => {
        let token = callingToken(c.caller, c.scopes);
        let path = route.path;
        let body: Record<string, unknown> | undefined;
        /** Whose token an allowed issue, rotate or re-issue makes. */
        let holder: string | undefined;
        let targetId: string | undefined;
        let targetBefore: Row | undefined;
        /** The new person of add_member, create_business or add_platform_admin. */
        let email: string | undefined;

        switch (route.action) {
          case 'issue':
            holder = targetIdentity(c);
            // A restricted caller asks for no scope: asking for an unrestricted token would be
            // refused by the scope ceiling (SCOPE_ESCALATION), a rule outside this table.
            body = {
              name: 'm',
              ...(c.target === 'self' ? {} : { identity_id: holder }),
              ...(c.scopes === null ? {} : { scopes: [] }),
            };
            break;
          case 'reissue':
            holder = targetIdentity(c);
            path = path.replace(':id', holder);
            body = {};
            break;
          case 'rotate':
          case 'rename':
          case 'revoke':
            if (route.path === SELF_REVOKE) {
              // The calling token revokes itself, so it is made for this case alone.
              const own = await freshCallingToken(c);
              token = own.secret;
              targetId = own.id;
              targetBefore = await tokenRow(targetId);
              body = { reason: 'matrix' };
              break;
            }
            targetId = await targetToken(c);
            targetBefore = await tokenRow(targetId);
            holder = targetBefore?.identity_id as string | undefined;
            path = path.replace(':id', targetId);
            body =
              route.action === 'rotate'
                ? {}
                : route.action === 'rename'
                  ? { name: 'renamed' }
                  : route.method === 'delete'
                    ? undefined
                    : { reason: 'matrix' };
            break;
          case 'add_member':
            email = freshEmail(c.target);
            body = { email, role: c.target };
            break;
          case 'create_business':
            email = freshEmail('new-owner');
            body = { name: `policy ${email}`, owner_email: email };
            break;
          case 'add_platform_admin':
            email = freshEmail('new-platform-admin');
            body = { email };
            break;
        }

        const count = await countTokens();
        const req = t.http()[route.method](path).set(asMember(token, biz.id));
        const res = body === undefined ? await req : await req.send(body);

        if (!c.expected.allowed) {
          if (c.expected.status === 403) {
            expectError(res, 403, c.expected.code);
          } else {
            expect({ status: res.status, code: res.body?.code }).toEqual({
              status: 404,
              code: expect.stringMatching(/_NOT_FOUND$/),
            });
          }
          // The attacker's check: nothing was handed out, made, or changed.
          expect(JSON.stringify(res.body)).not.toMatch(SECRET);
          expect(await countTokens()).toBe(count);
          if (targetId) expect(await tokenRow(targetId)).toEqual(targetBefore);
          if (email) expect(await identitiesWithEmail(email)).toEqual([]);
          return;
        }

        expectStatus(res, route.ok);
        const data = res.body.data;
        switch (route.action) {
          case 'rename':
            expect((await tokenRow(targetId!))?.name).toBe('renamed');
            expect(await countTokens()).toBe(count);
            return;
          case 'revoke':
            expect((await tokenRow(targetId!))?.revoked_at).not.toBeNull();
            expect(await countTokens()).toBe(count);
            return;
          case 'add_member':
            holder = data.member.identity_id as string;
            expect(await rolesOf(biz.id, email!)).toEqual([c.target]);
            break;
          case 'create_business':
            holder = data.owner.identity_id as string;
            expect(await rolesOf(data.business.id as string, email!)).toEqual(['owner']);
            break;
          case 'add_platform_admin':
            holder = data.admin.identity_id as string;
            break;
          case 'issue':
          case 'rotate':
          case 'reissue':
            break;
        }

        // A new token: whose it is, and never more than the caller holds.
        const issued = (data.first_token ?? data) as { id: string; token: string };
        expect(issued.token).toMatch(SECRET_ONLY);
        const row = await tokenRow(issued.id);
        expect(row?.identity_id).toBe(holder);
        if (c.target !== 'self') expect(row?.identity_id).not.toBe(callerIdentity(c.caller));
        const scopes = scopesOf(row?.scopes);
        expect({ scopes, within: scopesWithin(scopes, c.scopes) }).toEqual({
          scopes,
          within: true,
        });
        if (route.action === 'rotate') expect(row?.rotated_from_id).toBe(targetId);
        expect(await countTokens()).toBe(count + 1);
      });
    });
  });
});

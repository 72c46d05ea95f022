import { randomUUID } from 'node:crypto';
import { scopesWithin } from '../../src/auth/scopes';
import { decideOnToken, Decision } from '../../src/tokens/policy/policy-decision';
import { TOKEN_POLICY } from '../../src/tokens/policy/token-policy';
import {
  CallerClass,
  TargetClass,
  TOKEN_ACTIONS,
  TokenAction,
} from '../../src/tokens/policy/token-policy-terms';
import { asMember, BusinessFixture } from '../factories/tenancy.factory';
import { expectError } from '../harness/app/assertions';
import { TestApp } from '../harness/app/test-app';
import {
  ADMIN_ONLY_SCOPES,
  CallerName,
  expectStatus,
  freshEmail,
  Person,
  policyWorld,
  Row,
  SCOPE_SETS,
  scopesLabel,
  scopesOf,
  SECRET,
  SECRET_ONLY,
} from './token-policy-fixtures';
import { sample } from '../harness/sampling';
import type { Driver } from '../setup/servers';

/**
 * Every cell of TOKEN_POLICY, run on a live app: each action × caller × calling-token scopes ×
 * target, with `decide()` as the oracle (every cell in `npm run test:full`, a seeded quarter of
 * each route's in `npm test`). A hand-picked example proves one row; an attacker uses
 * another. The findings of a security review, named: token-policy-review.e2e-spec.ts.
 */

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
  disable: [{ method: 'post', path: '/api/v1/tokens/:id/disable', ok: 200 }],
  enable: [{ method: 'post', path: '/api/v1/tokens/:id/enable', ok: 200 }],
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

/**
 * A route's cases in `npm test`: a quarter of them, seeded, with the first case of each outcome
 * (each status and code) always among them; every case in `npm run test:full`.
 */
function sampledCasesOf(route: Route): Case[] {
  const cases = casesOf(route);
  const firstOfOutcome = new Set<Case>();
  const outcomes = new Set<string>();
  for (const c of cases) {
    const outcome = decisionLabel(c.expected, route);
    if (!outcomes.has(outcome)) firstOfOutcome.add(c);
    outcomes.add(outcome);
  }
  return sample(
    `${route.action}: ${route.method.toUpperCase()} ${route.path}`,
    cases,
    Math.ceil(cases.length / 4),
    { always: (c) => firstOfOutcome.has(c) },
  );
}

/**
 * The table on one driver, one file each (token-policy.e2e-spec.ts,
 * token-policy-postgres.e2e-spec.ts), so that the two run side by side.
 */
export function runTokenPolicy(driver: Driver): void {
  const world = policyWorld();
  const {
    callingToken,
    callerIdentity,
    ownFirstToken,
    tokenRow,
    countTokens,
    rolesOf,
    identitiesWithEmail,
    makeToken,
    makePlatformToken,
    makeRetiringToken,
  } = world;
  let t: TestApp;
  let biz: BusinessFixture;
  let ownerA: Person;
  let ownerB: Person;
  let adminB: Person;
  let memberB: Person;
  let m1: { id: string; firstToken: string };
  let m2: { id: string };
  beforeAll(async () => {
    await world.build(driver);
    ({ t, biz, ownerA, ownerB, adminB, memberB, m1, m2 } = world.state());
  });
  afterAll(() => world?.close());

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
      it.each(sampledCasesOf(route))('$name', async (c) => {
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
          case 'disable':
          case 'enable':
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
            // Enabling is asked of a paused token, paused by the owner, who may pause any.
            if (route.action === 'enable' && c.target !== 'unknown') {
              await t
                .http()
                .post(`/api/v1/tokens/${targetId}/disable`)
                .set(asMember(ownerA.firstToken, biz.id))
                .send({ reason: 'matrix' })
                .expect(200);
            }
            targetBefore = await tokenRow(targetId);
            holder = targetBefore?.identity_id as string | undefined;
            path = path.replace(':id', targetId);
            body =
              route.action === 'rotate' || route.action === 'enable'
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
          case 'disable':
          case 'enable':
            expect((await tokenRow(targetId!))?.disabled_at ?? null).toEqual(
              route.action === 'disable' ? expect.anything() : null,
            );
            expect(data.disabled_at === null).toBe(route.action === 'enable');
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
}

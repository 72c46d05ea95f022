import type { Response } from 'supertest';
import { Author, SYSTEM_AUTHOR } from '../../src/database/units/domain-event';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { TokenIssuanceService } from '../../src/tokens/lifecycle/issuance/token-issuance.service';
import { hashSecret } from '../../src/tokens/token-secret';
import {
  addMember,
  asMember,
  BusinessFixture,
  createBusiness,
  createMachine,
} from '../factories/tenancy.factory';
import { Driver } from '../setup/servers';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { uniqueEmail } from '../factories/unique';

export const SECRET = /lk_[0-9A-Za-z]{36}/;
export const SECRET_ONLY = /^lk_[0-9A-Za-z]{36}$/;

export type Row = Record<string, unknown>;

/**
 * Who calls. A machine identity acts at its role (admin here); it is never an owner. `retiring`
 * is an owner's token in its rotation grace period.
 */
export type CallerName = 'owner' | 'admin' | 'member' | 'machine' | 'platform' | 'retiring';

/** The calling token's scopes: unrestricted, none, and each built-in scope alone. */
export const SCOPE_SETS: readonly (string[] | null)[] = [
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
export const ADMIN_ONLY_SCOPES = ['tokens:admin', 'members:read', 'members:write', 'audit:read'];

export const scopesLabel = (scopes: readonly string[] | null) =>
  scopes === null ? 'unrestricted' : `[${scopes.join(',')}]`;

/** The scopes column read back: JSON text on both drivers; null stays null. */
export function scopesOf(value: unknown): string[] | null {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return (parsed ?? null) as string[] | null;
}

/** The status, with the body shown when it is not the one expected. */
export function expectStatus(res: Response, status: number): void {
  expect({ status: res.status, body: res.status === status ? 'as expected' : res.body }).toEqual({
    status,
    body: 'as expected',
  });
}

export const freshEmail = (label: string) => uniqueEmail(label, 'policy.test');

/** A person of the business: their identity, email and unrestricted first token. */
export interface Person {
  id: string;
  email: string;
  firstToken: string;
}

/**
 * One business with two people of each role, two machines, the platform admin, and a calling
 * token for every caller × scope set: what the token policy specs call with and act on. Made once
 * per suite, by `build` in its `beforeAll`.
 */
export function policyWorld() {
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
      tokensService.issue(
        author,
        {
          businessId: null,
          identityId: platformAdmin.id,
          name,
          scopes,
          expiresAt: null,
        },
        tx,
      ),
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

  /** Boots the app and makes the people, machines and calling tokens every case uses. */
  async function build(driver: Driver): Promise<void> {
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
  }

  return {
    build,
    close: () => t.close(),
    /** The app and the people and machines of the business: read it after `build`. */
    state: () => ({
      t,
      biz,
      ownerA,
      ownerB,
      adminA,
      adminB,
      memberA,
      memberB,
      m1,
      m2,
      platformAdmin,
    }),
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
  };
}

import { randomUUID } from 'node:crypto';
import {
  AUDIT_METADATA_MAX,
  LIMITS,
  SCOPES_JSON_MAX,
  ALLOWED_CIDRS_JSON_MAX,
} from '../../src/common/validation/byte-budget';
import {
  addMember,
  BusinessFixture,
  createMachine,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asOwner, asPlatform, Caller } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * A byte budget for everything a caller stores. Every stored field: the largest allowed value is
 * taken, one character more is 422 at its `loc` with nothing stored; and the database itself
 * refuses more on a path that skips the DTOs. Before, a member stored 50 scopes of 20,500
 * characters in one token (about 1 MB, and again in its audit event).
 */

const scope = (n: number, i = 0) => `s${i}:${'x'.repeat(n - 2 - String(i).length)}`;
const scopes = (count: number, length: number) =>
  Array.from({ length: count }, (_, i) => scope(length, i));

/** An address of exactly `n` characters (n ≥ 130) that validator.js takes as an email. */
function email(n: number): string {
  const local = 'a'.repeat(64);
  const last = n - local.length - 1 - 2 * 64;
  return `${local}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(last)}`;
}

interface Field {
  name: string;
  max: number;
  loc: (string | number)[];
  /** The request with a value of `n` characters. */
  send: (
    t: TestApp,
    biz: BusinessFixture,
    n: number,
  ) => Promise<{ status: number; body: { detail?: unknown } }>;
}

const post = (t: TestApp, caller: Caller, path: string, body: object) =>
  t.http().post(path).set(caller).send(body);

const FIELDS: Field[] = [
  {
    name: 'token name (create)',
    max: LIMITS.tokenName,
    loc: ['body', 'name'],
    send: (t, biz, n) => post(t, asOwner(biz), '/api/v1/tokens', { name: 'n'.repeat(n) }),
  },
  {
    name: 'one scope',
    max: LIMITS.scope,
    loc: ['body', 'scopes'],
    send: (t, biz, n) =>
      post(t, asOwner(biz), '/api/v1/tokens', { name: 'scoped', scopes: [scope(n)] }),
  },
  {
    name: 'revocation reason',
    max: LIMITS.reason,
    loc: ['body', 'reason'],
    send: async (t, biz, n) => {
      const made = await post(t, asOwner(biz), '/api/v1/tokens', { name: 'r' });
      return post(t, asOwner(biz), `/api/v1/tokens/${made.body.data.id}/revoke`, {
        reason: 'r'.repeat(n),
      });
    },
  },
  {
    name: 'bulk revoke reason',
    max: LIMITS.reason,
    loc: ['body', 'reason'],
    send: (t, biz, n) =>
      post(t, asOwner(biz), '/api/v1/tokens/bulk-revoke', {
        identity_id: randomUUID(),
        reason: 'r'.repeat(n),
      }),
  },
  {
    name: 'member email',
    max: LIMITS.email,
    loc: ['body', 'email'],
    send: (t, biz, n) =>
      post(t, asOwner(biz), '/api/v1/members', { email: email(n), role: 'member' }),
  },
  {
    name: 'business name',
    max: LIMITS.businessName,
    loc: ['body', 'name'],
    send: (t, _biz, n) =>
      post(t, asPlatform(t), '/platform/v1/businesses', {
        name: `${randomUUID()}${'b'.repeat(n - 36)}`,
        owner_email: `o-${randomUUID()}@example.test`,
      }),
  },
  {
    name: 'machine name',
    max: LIMITS.machineName,
    loc: ['body', 'name'],
    send: (t, biz, n) =>
      post(t, asOwner(biz), '/api/v1/machine-identities', {
        name: `m${randomUUID().slice(0, 8)}${'m'.repeat(n - 9)}`,
        role: 'member',
      }),
  },
];

describe.each(DRIVERS)('the byte budget on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  const count = async (table: string) =>
    Number((await t.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  beforeAll(async () => {
    t = await bootTestApp(driver, { MAX_ACTIVE_TOKENS_PER_IDENTITY: '0' });
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  describe.each(FIELDS)('$name', (field) => {
    it(`takes ${field.max} characters`, async () => {
      const res = await field.send(t, biz, field.max);
      expect({ status: res.status, body: res.status < 300 ? 'ok' : res.body }).toEqual({
        status: expect.any(Number),
        body: 'ok',
      });
    });

    it(`refuses ${field.max + 1} with 422 at its loc, and stores nothing new`, async () => {
      const events = await count('audit_events');
      const res = await field.send(t, biz, field.max + 1);
      expect(res.status).toBe(422);
      expect(res.body.detail).toEqual(
        expect.arrayContaining([expect.objectContaining({ loc: field.loc })]),
      );
      // A revocation makes its token first; nothing else may be written.
      const made = field.name === 'revocation reason' ? 1 : 0;
      expect(await count('audit_events')).toBe(events + made);
    });
  });

  it('the attack: 50 scopes of 20,500 characters is 422, and nothing is stored', async () => {
    const tokens = await count('api_tokens');
    const res = await post(t, asOwner(biz), '/api/v1/tokens', {
      name: 'huge',
      scopes: scopes(50, 20_500),
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body).length).toBeLessThan(20_000);
    expect(await count('api_tokens')).toBe(tokens);
  });

  it('takes 50 scopes of 128, and refuses a 51st', async () => {
    await post(t, asOwner(biz), '/api/v1/tokens', {
      name: 'widest',
      scopes: scopes(50, 128),
    }).expect(201);
    const res = await post(t, asOwner(biz), '/api/v1/tokens', {
      name: 'wider',
      scopes: scopes(51, 128),
    });
    expect(res.status).toBe(422);
    expect(res.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'scopes'] })]);
  });

  describe('the database refuses more on a path that skips the DTOs', () => {
    const refused = async (text: string, params: unknown[]) => {
      await expect(t.sql(text, params)).rejects.toThrow();
    };

    it.each([
      ['api_tokens', 'name', LIMITS.tokenName],
      ['api_tokens', 'revocation_reason', LIMITS.reason],
      ['api_tokens', 'scopes', SCOPES_JSON_MAX],
      ['api_tokens', 'allowed_cidrs', ALLOWED_CIDRS_JSON_MAX],
    ])('UPDATE %s.%s past %i characters', async (table, column, max) => {
      const member = await addMember(t, biz);
      const [row] = await t.sql<{ id: string }>('SELECT id FROM api_tokens WHERE identity_id = ?', [
        member.identityId,
      ]);
      await refused(`UPDATE ${table} SET ${column} = ? WHERE id = ?`, [
        'x'.repeat(max + 1),
        row.id,
      ]);
      await t.sql(`UPDATE ${table} SET ${column} = ? WHERE id = ?`, ['x'.repeat(max), row.id]);
    });

    it('UPDATE identities.name past its bound', async () => {
      const machine = await createMachine(t, biz, 'member');
      await refused('UPDATE identities SET name = ? WHERE id = ?', [
        'm'.repeat(LIMITS.machineName + 1),
        machine.id,
      ]);
    });

    it('INSERT of an audit event whose metadata is past its bound', async () => {
      const [last] = await t.sql<Record<string, unknown>>(
        'SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1',
      );
      const columns = Object.keys(last);
      const row = {
        ...last,
        id: randomUUID(),
        seq: 1_000_000_000,
        metadata: JSON.stringify({ x: 'y'.repeat(AUDIT_METADATA_MAX) }),
      };
      await refused(
        `INSERT INTO audit_events (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        columns.map((c) => (row as Record<string, unknown>)[c]),
      );
    });
  });
});

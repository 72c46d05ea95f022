import { randomUUID } from 'node:crypto';
import { mintSecret } from '../../src/tokens/token-secret';
import { BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { tamperedSecret } from '../harness/app/token-checks';
import { asOwner, asPlatform, Caller } from '../harness/app/api';
import { cliInProcess } from '../harness/app/cli';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * A free-text field that holds a well-formed Latchkey token (checksum and all) is refused with
 * 422 SECRET_IN_TEXT, and nothing is stored: before, a secret pasted into a token name or a
 * revocation reason stayed for good in the append-only log and every export of it.
 */

interface Field {
  name: string;
  loc: (string | number)[];
  send: (
    t: TestApp,
    biz: BusinessFixture,
    text: string,
  ) => Promise<{ status: number; body: { code?: string; detail?: unknown } }>;
}

const post = (t: TestApp, caller: Caller, path: string, body: object) =>
  t.http().post(path).set(caller).send(body);

/** A token of the business to revoke or rename, made for one case. */
const tokenOf = async (t: TestApp, biz: BusinessFixture) =>
  (await post(t, asOwner(biz), '/api/v1/tokens', { name: 'target' }).expect(201)).body.data as {
    id: string;
    token: string;
  };

const FIELDS: Field[] = [
  {
    name: 'token name on create',
    loc: ['body', 'name'],
    send: (t, biz, text) => post(t, asOwner(biz), '/api/v1/tokens', { name: text }),
  },
  {
    name: 'token name on rename',
    loc: ['body', 'name'],
    send: async (t, biz, text) =>
      t
        .http()
        .patch(`/api/v1/tokens/${(await tokenOf(t, biz)).id}`)
        .set(asOwner(biz))
        .send({ name: text }),
  },
  {
    name: 'reason on revoke',
    loc: ['body', 'reason'],
    send: async (t, biz, text) =>
      post(t, asOwner(biz), `/api/v1/tokens/${(await tokenOf(t, biz)).id}/revoke`, {
        reason: text,
      }),
  },
  {
    name: 'reason on disable',
    loc: ['body', 'reason'],
    send: async (t, biz, text) =>
      post(t, asOwner(biz), `/api/v1/tokens/${(await tokenOf(t, biz)).id}/disable`, {
        reason: text,
      }),
  },
  {
    name: 'reason on DELETE',
    loc: ['body', 'reason'],
    send: async (t, biz, text) =>
      t
        .http()
        .delete(`/api/v1/tokens/${(await tokenOf(t, biz)).id}`)
        .set(asOwner(biz))
        .send({ reason: text }),
  },
  {
    name: 'reason on self/revoke',
    loc: ['body', 'reason'],
    send: async (t, biz, text) => {
      const own = await tokenOf(t, biz);
      return post(
        t,
        { authorization: `Bearer ${own.token}`, 'x-business-id': biz.id },
        '/api/v1/tokens/self/revoke',
        { reason: text },
      );
    },
  },
  {
    name: 'reason on bulk revoke',
    loc: ['body', 'reason'],
    send: (t, biz, text) =>
      post(t, asOwner(biz), '/api/v1/tokens/bulk-revoke', {
        identity_id: randomUUID(),
        reason: text,
      }),
  },
  {
    name: 'reason on platform revoke by id',
    loc: ['body', 'reason'],
    send: async (t, biz, text) =>
      post(t, asPlatform(t), `/platform/v1/tokens/${(await tokenOf(t, biz)).id}/revoke`, {
        reason: text,
      }),
  },
  {
    name: 'reason on platform revoke by value',
    loc: ['body', 'reason'],
    send: async (t, biz, text) =>
      post(t, asPlatform(t), '/platform/v1/tokens/revoke', {
        token: (await tokenOf(t, biz)).token,
        reason: text,
      }),
  },
  {
    name: 'business name',
    loc: ['body', 'name'],
    send: (t, _biz, text) =>
      post(t, asPlatform(t), '/platform/v1/businesses', {
        name: text,
        owner_email: `o-${randomUUID()}@example.test`,
      }),
  },
];

describe.each(DRIVERS)('a secret in free text on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  const rowsHolding = async (secret: string) => {
    const tokens = await t.sql<{ n: unknown }>(
      'SELECT COUNT(*) AS n FROM api_tokens WHERE name LIKE ? OR revocation_reason LIKE ? ' +
        'OR disabled_reason LIKE ?',
      [`%${secret}%`, `%${secret}%`, `%${secret}%`],
    );
    const events = await t.sql<{ n: unknown }>(
      'SELECT COUNT(*) AS n FROM audit_events WHERE metadata LIKE ? OR target_label LIKE ? ' +
        'OR actor_label LIKE ?',
      [`%${secret}%`, `%${secret}%`, `%${secret}%`],
    );
    const others = await t.sql<{ n: unknown }>(
      'SELECT (SELECT COUNT(*) FROM businesses WHERE name LIKE ?) + ' +
        '(SELECT COUNT(*) FROM identities WHERE name LIKE ?) AS n',
      [`%${secret}%`, `%${secret}%`],
    );
    return Number(tokens[0].n) + Number(events[0].n) + Number(others[0].n);
  };

  beforeAll(async () => {
    t = await bootTestApp(driver, { MAX_ACTIVE_TOKENS_PER_IDENTITY: '0' });
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  describe.each(FIELDS)('$name', (field) => {
    it.each([
      ['alone', (s: string) => s],
      ['inside text', (s: string) => `leaked:${s} see ticket`],
      ['with another prefix', () => mintSecret('acme').secret],
    ])('refuses a live token %s: 422 SECRET_IN_TEXT, nothing stored', async (_how, shape) => {
      const secret = mintSecret('lk').secret;
      const text = shape(secret);
      const res = await field.send(t, biz, text);
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 422,
        code: 'SECRET_IN_TEXT',
      });
      expect(res.body.detail).toEqual([
        expect.objectContaining({ loc: field.loc, type: 'secret_in_text' }),
      ]);
      expect(JSON.stringify(res.body)).not.toContain(text.slice(-36));
      expect(await rowsHolding(text.slice(-36).slice(0, 30))).toBe(0);
    });

    it('takes a look-alike whose checksum is wrong', async () => {
      const secret = mintSecret('lk').secret;
      const lookAlike = tamperedSecret(secret);
      const res = await field.send(t, biz, lookAlike);
      expect(res.body.code).not.toBe('SECRET_IN_TEXT');
    });
  });

  describe('the CLI, the other route', () => {
    it.each([
      [
        'tokens create --name',
        (s: string) => [
          'tokens',
          'create',
          '--business',
          biz.id,
          '--email',
          biz.ownerEmail,
          '--name',
          s,
        ],
      ],
      [
        'businesses create --name',
        (s: string) => [
          'businesses',
          'create',
          '--name',
          s,
          '--owner-email',
          `o-${randomUUID()}@example.test`,
        ],
      ],
      [
        'tokens revoke --reason',
        (s: string) => ['tokens', 'revoke', randomUUID(), '--reason', `was ${s}`],
      ],
    ])('%s refuses it, and never prints it back', async (_name, args) => {
      const secret = mintSecret('lk').secret;
      const result = await cliInProcess(args(secret), t.db.env);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/must not contain a token/);
      expect(result.stdout + result.stderr).not.toContain(secret.slice(3));
      expect(await rowsHolding(secret.slice(3, 33))).toBe(0);
    });
  });
});

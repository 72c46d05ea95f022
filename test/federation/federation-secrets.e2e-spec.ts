import { checksumOf, RANDOM_LENGTH } from '../../src/common/secrets/secret-shape';
import { BusinessFixture, createBusiness, createMachine } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { exchange, githubRule, listRules, postRule } from './federation-fixtures';
import { githubClaims, GITHUB_ISSUER, IssuerKey, makeKey, sign } from './oidc-issuer';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const BRANCH_PREFIX = 'repo:acme/api:ref:refs/heads/';
/** The longest subject whose whole text reaches the token's name (`federation <sub>`, 100). */
const NAME_ROOM = 100 - 'federation '.length;

/**
 * Text the server stores that a JWT chose (the exchanged token's name, the audit entry's issuer,
 * subject and `jti`), and the trust rule's own fields, are held to the check typed text gets: a
 * live Latchkey token in any of them is refused and nothing is stored, as a token name holding
 * one is 422 SECRET_IN_TEXT. A branch named after a token is all it takes.
 */
describe.each(DRIVERS)('secrets in federated text on %s', (driver) => {
  let t: TestApp;
  let key: IssuerKey;

  beforeAll(async () => {
    t = await bootTestApp(driver, {
      RATE_LIMIT_OAUTH_PER_MINUTE: '0',
      RATE_LIMIT_FEDERATION_IDENTITY_PER_MINUTE: '0',
      RATE_LIMIT_FEDERATION_ISSUER_PER_MINUTE: '0',
      TOKEN_CACHE_TTL_MS: '0',
    });
    key = await makeKey('RS256');
  });
  afterAll(() => t?.close());

  /** Every stored row that could hold text a JWT or a rule brought in. */
  const stored = async () =>
    JSON.stringify([
      await t.sql('SELECT * FROM api_tokens'),
      await t.sql('SELECT * FROM audit_events'),
      await t.sql('SELECT * FROM trust_rules'),
    ]);
  const tokensOf = async (identityId: string) =>
    (await t.sql('SELECT id FROM api_tokens WHERE identity_id = ?', [identityId])).length;

  /** A business with a machine that trusts `key` for every branch of acme/api. */
  async function trustingMachine(): Promise<{ b: BusinessFixture; machineId: string }> {
    const b = await createBusiness(t);
    const machineId = (await createMachine(t, b)).id;
    await postRule(t, asOwner(b), machineId, githubRule(key)).expect(201);
    return { b, machineId };
  }

  describe('a JWT claim copied into stored text', () => {
    // Each case: the claims, given a live token of the business, that would put it in storage.
    const cases: [string, (secret: string) => Record<string, unknown>][] = [
      ['sub: a branch named after the token', (s) => ({ sub: `${BRANCH_PREFIX}${s}` })],
      ['sub: the token inside a branch name', (s) => ({ sub: `${BRANCH_PREFIX}fix-${s}-leak` })],
      [
        'sub: the token whole only in the name, where the subject is clipped',
        (s) => {
          const filler = 'x'.repeat(NAME_ROOM - BRANCH_PREFIX.length - s.length - 1);
          // Whole, the run goes on past the token (no token there); clipped, it ends the name.
          return { sub: `${BRANCH_PREFIX}${filler}-${s}Zmore` };
        },
      ],
      ['jti: the token', (s) => ({ jti: s })],
      ['jti: the token inside it', (s) => ({ jti: `run-${s}` })],
    ];

    it.each(cases)('%s: 400 invalid_grant, nothing stored', async (_, claimsWith) => {
      const { b, machineId } = await trustingMachine();
      const secret = b.ownerToken;
      const claims = { ...githubClaims(), ...claimsWith(secret) };
      const res = await exchange(t, await sign(key, claims), b.id);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: { error: 'invalid_grant', error_description: expect.stringContaining('token') },
      });
      expect(JSON.stringify(res.body)).not.toContain(secret);
      expect(await tokensOf(machineId)).toBe(0);
      expect(await stored()).not.toContain(secret);
    });

    it('iss: a rule stored before rules were checked, naming an issuer that holds the token', async () => {
      const { b, machineId } = await trustingMachine();
      const secret = b.ownerToken;
      const issuer = `${GITHUB_ISSUER}/${secret}`;
      await t.sql('UPDATE trust_rules SET issuer = ? WHERE identity_id = ?', [issuer, machineId]);
      const res = await exchange(
        t,
        await sign(key, githubClaims('acme/api', 'main', { iss: issuer })),
        b.id,
      );
      expect([res.status, res.body.error]).toEqual([400, 'invalid_grant']);
      expect(await tokensOf(machineId)).toBe(0);
      expect(
        JSON.stringify([
          await t.sql('SELECT * FROM api_tokens'),
          await t.sql('SELECT * FROM audit_events'),
        ]),
      ).not.toContain(secret);
    });

    it('takes a look-alike whose checksum is wrong, and a token of the JWT that is not stored', async () => {
      const { b, machineId } = await trustingMachine();
      const random = 'Q'.repeat(RANDOM_LENGTH);
      const wrong = checksumOf(random).replace(/.$/, (c) => (c === '0' ? '1' : '0'));
      const claims = {
        ...githubClaims('acme/api', `lk_${random}${wrong}`),
        // A claim the exchange only matches, or ignores, is never stored: it may hold anything.
        workflow: b.ownerToken,
      };
      await exchange(t, await sign(key, claims), b.id).expect(200);
      expect(await tokensOf(machineId)).toBe(1);
      expect(await stored()).not.toContain(b.ownerToken);
    });
  });

  describe("a trust rule's own text", () => {
    const fields: [string, (secret: string) => Record<string, unknown>, (string | number)[]][] = [
      ['issuer', (s) => ({ issuer: `https://issuer.example.com/${s}` }), ['body', 'issuer']],
      ['audience', (s) => ({ audience: `https://github.com/${s}` }), ['body', 'audience']],
      [
        'jwks_uri',
        (s) => ({ jwks: undefined, jwks_uri: `https://keys.example.com/${s}/jwks` }),
        ['body', 'jwks_uri'],
      ],
      ['subject', (s) => ({ subject: `${BRANCH_PREFIX}${s}` }), ['body', 'subject']],
      ['a claim value', (s) => ({ claims: { environment: s } }), ['body', 'claims', 'environment']],
      ['a claim name', (s) => ({ claims: { [s]: 'x' } }), ['body', 'claims']],
    ];

    it.each(fields)(
      '%s holding a token: 422 SECRET_IN_TEXT, nothing stored',
      async (_, body, loc) => {
        const b = await createBusiness(t);
        const machineId = (await createMachine(t, b)).id;
        const secret = b.ownerToken;
        const res = await postRule(t, asOwner(b), machineId, githubRule(key, body(secret)));
        expectError(res, 422, 'SECRET_IN_TEXT', [
          { loc, msg: expect.any(String), type: 'secret_in_text' },
        ]);
        expect(JSON.stringify(res.body)).not.toContain(secret);
        const rules = await listRules(t, asOwner(b), machineId).expect(200);
        expect(rules.body.data.items).toEqual([]);
        expect(await stored()).not.toContain(secret);
      },
    );
  });
});

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { TokensRepository } from '../../src/tokens/store/repositories/tokens.repository';
import { mintSecret } from '../../src/tokens/token-secret';
import { addMember, BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asMember, asOwner, me } from '../harness/app/api';
import { expectBearerError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * Keys of every shape a team brings from elsewhere work once imported: a table of the shapes of
 * the services teams move from, Latchkey look-alikes whose checksum fails (GitHub's classic
 * `ghp_` and 36 letters and digits is one), and a seeded sample of printable strings of 1 to 256
 * characters. Until anything is imported, a string that is not a well-formed Latchkey token is
 * refused before any lookup.
 */

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';
/** Deterministic filler: a key's shape matters here, not its randomness. */
const fill = (alphabet: string, length: number, salt: number) =>
  Array.from({ length }, (_, i) => alphabet[(i * 7 + salt * 13) % alphabet.length]).join('');

/** A Latchkey token of `prefix` with its last checksum character changed. */
function badChecksum(prefix: string): string {
  const { secret } = mintSecret(prefix);
  return `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
}

/** The shapes, each as its service issues it (lengths and alphabets from their docs). */
const SHAPES: [string, string][] = [
  ['GitHub classic (ghp_ + 36)', `ghp_${fill(ALNUM, 36, 1)}`],
  ['GitHub OAuth (gho_ + 36)', `gho_${fill(ALNUM, 36, 2)}`],
  ['GitHub fine-grained (github_pat_)', `github_pat_11${fill(ALNUM, 20, 3)}_${fill(ALNUM, 59, 4)}`],
  ['a word and 36 (acme_ + 36)', `acme_${fill(ALNUM, 36, 5)}`],
  ['a word and 8 digits', 'acme_12345678'],
  ['Stripe secret (sk_live_)', `sk_live_51${fill(ALNUM, 97, 6)}`],
  ['Stripe restricted (rk_test_)', `rk_test_${fill(ALNUM, 24, 7)}`],
  ['Slack bot (xoxb-)', `xoxb-123456789012-1234567890123-${fill(ALNUM, 24, 8)}`],
  ['Slack user (xoxp-)', `xoxp-12345-67890-12345-${fill(HEX, 32, 9)}`],
  ['OpenAI project (sk-proj-)', `sk-proj-${fill(`${ALNUM}-_`, 156, 10)}`],
  ['OpenAI legacy (sk- + 48)', `sk-${fill(ALNUM, 48, 11)}`],
  [
    'Unkey (prefix_ + base58)',
    `prod_${fill('123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz', 24, 12)}`,
  ],
  ['Resend (re_)', `re_${fill(ALNUM, 8, 13)}_${fill(ALNUM, 24, 14)}`],
  ['AWS access key id', `AKIA${fill('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 15)}`],
  ['AWS secret access key', fill(`${ALNUM}/+`, 40, 16)],
  ['Twilio API key (SK + 32 hex)', `SK${fill(HEX, 32, 17)}`],
  ['Twilio auth token (32 hex)', fill(HEX, 32, 18)],
  ['one character', 'x'],
  ['256 printable characters', fill('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', 256, 19)],
  ['an lk_ look-alike with a bad checksum', badChecksum('lk')],
  ['another prefix with a bad checksum', badChecksum('acme')],
];

/** A seeded sample of printable ASCII without space (a bearer header splits on it), 1 to 256. */
const SEED = Number(process.env.IMPORT_SHAPES_SEED ?? 20261128);
const SAMPLED = fc.sample(
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 256,
  }),
  { seed: SEED, numRuns: 20 },
);

describe.each(DRIVERS)('keys of every shape, imported, on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let member: { identityId: string; token: string };
  let lookups: jest.SpiedFunction<TokensRepository['findForVerifierAnyBusiness']>;

  const importKeys = (keys: string[]) =>
    t
      .http()
      .post('/api/v1/tokens/import')
      .set(asOwner(biz))
      .send({
        keys: keys.map((key, i) => ({
          hash: sha256(key),
          name: `brought-${i}`,
          identity_id: member.identityId,
        })),
      });

  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_IDENTITY_PER_MINUTE: '0' });
    biz = await createUnexpiringBusiness(t);
    member = await addMember(t, biz, 'member');
    lookups = jest.spyOn(t.app.get(TokensRepository), 'findForVerifierAnyBusiness');
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t.close();
  });

  it('refuses each shape before any lookup while nothing is imported', async () => {
    lookups.mockClear();
    for (const [, key] of SHAPES) expectBearerError(await me(t, asMember(key, biz.id)));
    expect(lookups).not.toHaveBeenCalled();
    // A well-formed token is looked up, so the spy sees what it should.
    expectBearerError(await me(t, asMember(mintSecret('lk').secret, biz.id)));
    expect(lookups).toHaveBeenCalledTimes(1);
  });

  it.each(SHAPES)('verifies %s once imported, as its holder', async (_shape, key) => {
    await importKeys([key]).expect(201);
    const res = await me(t, asMember(key, biz.id)).expect(200);
    expect(res.body.data.identity.id).toBe(member.identityId);
    expect(res.body.data.token.origin).toBe('import');
  });

  it(`verifies ${SAMPLED.length} printable strings of 1 to 256 characters (IMPORT_SHAPES_SEED=${SEED})`, async () => {
    const fresh = [...new Set(SAMPLED)].filter((k) => !SHAPES.some(([, s]) => s === k));
    await importKeys(fresh).expect(201);
    const refused: string[] = [];
    for (const key of fresh) {
      const res = await me(t, asMember(key, biz.id));
      if (res.status !== 200) refused.push(`${JSON.stringify(key)}: ${res.status}`);
    }
    expect(refused).toEqual([]);
  });

  it('still refuses a look-alike with a bad checksum that nobody imported', async () => {
    expectBearerError(await me(t, asMember(badChecksum('lk'), biz.id)));
    expectBearerError(await me(t, asMember(`ghp_${fill(ALNUM, 36, 99)}`, biz.id)));
  });

  it('revokes an imported key of Latchkey-like shape by value, which is then refused as revoked', async () => {
    const key = `ghp_${fill(ALNUM, 36, 42)}`;
    await importKeys([key]).expect(201);
    await me(t, asMember(key, biz.id)).expect(200);
    await t.http().post('/oauth2/revoke').send({ token: key }).expect(200);
    expectBearerError(await me(t, asMember(key, biz.id)), 'TOKEN_REVOKED');
  });
});

import { claimsIssues, claimsMatch, jwkProblem, usableKeys } from './trust-rule-checks';
import { checksumOf, RANDOM_LENGTH } from '../../common/secrets/secret-shape';

const rsa = { kty: 'RSA', n: 'sXch', e: 'AQAB', kid: 'a' };
const ec = { kty: 'EC', crv: 'P-256', x: 'eA', y: 'eQ' };
const ed = { kty: 'OKP', crv: 'Ed25519', x: 'eA' };

describe(jwkProblem.name, () => {
  it.each([
    ['an RSA public key', rsa, null],
    ['an RSA key for RS256', { ...rsa, alg: 'RS256', use: 'sig' }, null],
    ['an RSA key for PS256', { ...rsa, alg: 'PS256' }, null],
    ['a P-256 key', ec, null],
    ['an Ed25519 key', ed, null],
    ['an RSA private key', { ...rsa, d: 'x' }, /public/],
    ['an EC private key', { ...ec, d: 'x' }, /public/],
    ['a symmetric key', { kty: 'oct', k: 'c2VjcmV0' }, /public/],
    ['an HS256 key', { ...rsa, alg: 'HS256' }, /alg/],
    ['an alg of none', { ...rsa, alg: 'none' }, /alg/],
    ['an RS384 key', { ...rsa, alg: 'RS384' }, /alg/],
    ['an encryption key', { ...rsa, use: 'enc' }, /signatures/],
    ['a P-384 key', { ...ec, crv: 'P-384' }, /P-256/],
    ['an X25519 key', { ...ed, crv: 'X25519' }, /Ed25519/],
    ['an RSA key without n', { kty: 'RSA', e: 'AQAB' }, /n and e/],
    ['a kid that is a number', { ...rsa, kid: 7 }, /kid/],
    ['no kty', { n: 'x', e: 'y' }, /RSA, EC or OKP/],
    ['not an object', 'key', /object/],
    ['an array', [rsa], /object/],
  ])('%s', (_, key, expected) => {
    const problem = jwkProblem(key);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  it('keeps only the usable keys of a fetched set', () => {
    expect(
      usableKeys({ keys: [rsa, { kty: 'oct', k: 'x' }, ec, { ...rsa, alg: 'HS256' }] }),
    ).toEqual([rsa, ec]);
    expect(usableKeys({ keys: 'nope' })).toEqual([]);
    expect(usableKeys(null)).toEqual([]);
  });
});

describe(claimsMatch.name, () => {
  it.each([
    [null, {}, true],
    [{ repository_owner: 'acme' }, { repository_owner: 'acme' }, true],
    [{ repository_owner: 'acme' }, { repository_owner: 'Acme' }, false],
    [{ repository_owner: 'acme' }, {}, false],
    [{ run_attempt: '1' }, { run_attempt: 1 }, false],
    [{ toString: 'x' }, {}, false],
    [{ a: 'x', b: 'y' }, { a: 'x', b: 'z' }, false],
  ])('%j against %j is %s', (required, payload, expected) => {
    expect(claimsMatch(required as Record<string, string> | null, payload)).toBe(expected);
  });
});

describe(claimsIssues.name, () => {
  it('refuses reserved, malformed and non-text claims, each at its place', () => {
    const issues = claimsIssues({ sub: 'x', 'bad name': 'y', run: 3, ok: 'fine' });
    expect(issues.map((i) => i.loc)).toEqual([
      ['body', 'claims', 'sub'],
      ['body', 'claims'],
      ['body', 'claims', 'run'],
    ]);
  });
});

describe(`${claimsIssues.name} and a token in a claim`, () => {
  // A well-formed token (checksum and all), built from the shared shape, as a pasted secret reads.
  const random = 'A'.repeat(RANDOM_LENGTH);
  const secret = `lk_${random}${checksumOf(random)}`;

  it('refuses a claim whose value or name holds a token, and never echoes it', () => {
    const issues = claimsIssues({ environment: `prod-${secret}`, [secret]: 'x', ok: 'fine' });
    expect(issues).toEqual([
      { loc: ['body', 'claims', 'environment'], msg: expect.any(String), type: 'secret_in_text' },
      { loc: ['body', 'claims'], msg: expect.any(String), type: 'secret_in_text' },
    ]);
    expect(JSON.stringify(issues)).not.toContain(random);
  });

  it('takes a look-alike whose checksum is wrong', () => {
    const wrong = checksumOf(random).replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect(claimsIssues({ environment: `lk_${random}${wrong}` })).toEqual([]);
  });
});

import fc from 'fast-check';
import { calculateJwkThumbprint } from 'jose';
import { randomBytes } from 'node:crypto';
import { keyPairSync } from '../../../test/fixtures/key-pair';
import { DpopProofError, type DpopProofReason, verifyDpopProof as sut } from './dpop-proof';
import {
  base64url,
  check,
  CLAIMS,
  NOW,
  outcome,
  proof,
  type ProofParts,
  type Signer,
  signed,
  signers,
  strayBit,
  TOKEN,
} from '../../../test/fixtures/dpop-proof';

let keys: Awaited<ReturnType<typeof signers>>;
beforeAll(async () => {
  keys = await signers();
});

const HEADER = () => ({ typ: 'dpop+jwt', alg: 'ES256', jwk: keys.es256.jwk });
const SECRET = randomBytes(32);
const OCT = { kty: 'oct', k: SECRET.toString('base64url') };
const p256 = (x: string, y: string) => ({ kty: 'EC', crv: 'P-256', x, y });
// Row makers, read when the row runs (the keys are made in beforeAll).
const withHeader = (fields: object) => () =>
  signed(keys.es256.privateKey, { ...HEADER(), ...fields });
const withJwk = (jwk: () => unknown) => () =>
  signed(keys.es256.privateKey, { ...HEADER(), jwk: jwk() });
const byJose = (by: () => Signer, parts: () => ProofParts) => () => proof(by(), parts());
const unsigned = () => `${base64url({ ...HEADER(), alg: 'none' })}.${base64url(CLAIMS)}`;
const rsa1024 = () => {
  const { publicKey, privateKey } = keyPairSync('rsa', { modulusLength: 1024 });
  return signed(privateKey, {
    ...HEADER(),
    alg: 'RS256',
    jwk: publicKey.export({ format: 'jwk' }),
  });
};
const rsaExponent = (bytes: number) => () => {
  const jwk = { ...keys.rs256.jwk, e: Buffer.alloc(bytes, 0xff).toString('base64url') };
  return signed(keys.rs256.privateKey, { ...HEADER(), alg: 'RS256', jwk });
};

type Row = [string, () => string | Promise<string>, DpopProofReason];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const TYPS = [undefined, 'JWT', 'at+jwt', 'DPOP+JWT', 'application/dpop+jwt'];

describe(sut.name, () => {
  it.each(['ES256', 'EdDSA', 'RS256', 'PS256'])(
    'accepts a %s proof, and names its key by its RFC 7638 thumbprint',
    async (alg) => {
      const { es256, eddsa, rs256 } = keys;
      const by = { ES256: es256, EdDSA: eddsa, RS256: rs256, PS256: { ...rs256, alg } }[alg]!;
      const text = await proof(by, { claims: { jti: 'abc-123' } });
      await expect(sut(text, check())).resolves.toEqual({
        jkt: await calculateJwkThumbprint(by.jwk, 'sha256'),
        jti: 'abc-123',
        iat: NOW,
      });
    },
  );

  it("verifies RFC 9449's own example proof (§4.1), and its key's thumbprint is the RFC's (§6.1)", async () => {
    const example =
      'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19' +
      '.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ' +
      '.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg';
    const rfc = check({ urls: ['https://server.example.com/token'], nowSeconds: 1562262616 });
    await expect(sut(example, rfc)).resolves.toEqual({
      jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I',
      jti: '-BwC3ESc6acc2lTc',
      iat: 1562262616,
    });
  });

  it('takes a hand-signed proof, so each row below fails for its one change alone', async () => {
    expect(await outcome(withHeader({})())).toBe('passed');
  });

  // Each row makes a proof as an attacker would: one thing wrong in its header, key or signature.
  it.each<Row>([
    ['alg none, unsigned', () => `${unsigned()}.`, 'malformed'],
    ['alg none, with some signature', () => `${unsigned()}.${'A'.repeat(86)}`, 'alg'],
    [
      'HS256 under a symmetric jwk',
      byJose(
        () => ({ ...keys.es256, alg: 'HS256', jwk: OCT }),
        () => ({ signWith: SECRET }),
      ),
      'alg',
    ],
    ['a symmetric jwk under ES256', withJwk(() => OCT), 'jwk'],
    ...PRIVATE_MEMBERS.map((m): Row => [
      `a jwk with the private member ${m}`,
      withJwk(() => ({ ...keys.es256.jwk, [m]: 'AQAB' })),
      'jwk',
    ]),
    [
      'a jwk holding the whole private key',
      withJwk(() => keys.es256.privateKey.export({ format: 'jwk' })),
      'jwk',
    ],
    ['no jwk', withJwk(() => undefined), 'jwk'],
    ['a jwk that is a string', withJwk(() => 'key'), 'jwk'],
    ['an EC key under RS256', withHeader({ alg: 'RS256' }), 'jwk'],
    ['an EC P-256 key under ES384', withHeader({ alg: 'ES384' }), 'jwk'],
    ['an RSA key under ES256', withJwk(() => keys.rs256.jwk), 'jwk'],
    ['an Ed25519 key under ES256', withJwk(() => keys.eddsa.jwk), 'jwk'],
    ['an x that is not base64url', withJwk(() => p256('a+b/', keys.es256.jwk.y!)), 'jwk'],
    // The same point, so the key imports and the signature holds: only the jkt would differ.
    [
      'the same x spelled with a stray bit',
      withJwk(() => p256(strayBit(keys.es256.jwk.x!), keys.es256.jwk.y!)),
      'jwk',
    ],
    ['a point off the curve', withJwk(() => p256('A'.repeat(43), 'A'.repeat(43))), 'jwk'],
    ['an RSA key below 2048 bits', rsa1024, 'jwk'],
    // An exponent as long as the modulus makes each verification some 80 times dearer.
    ['an RSA exponent of 256 bytes', rsaExponent(256), 'jwk'],
    [
      'a proof signed by another key than its jwk',
      byJose(
        () => keys.es256,
        () => ({ signWith: keys.other.privateKey }),
      ),
      'signature',
    ],
    ...TYPS.map((typ): Row => [`typ ${typ}`, withHeader({ typ }), 'typ']),
    ['an unencoded payload (RFC 7797)', withHeader({ b64: false, crit: ['b64'] }), 'malformed'],
    ['a crit of any kind', withHeader({ crit: ['exp'], exp: NOW }), 'malformed'],
  ])('refuses %s', async (_, make, expected) => {
    expect(await outcome(await make())).toBe(expected);
  });

  describe('text that is no proof', () => {
    it.each<[string, unknown]>([
      ['empty', ''],
      ['not a string', undefined],
      ['an array (a header given twice)', ['a.b.c', 'a.b.c']],
      ['two proofs joined as a repeated header is', 'a.b.c, a.b.c'],
      ['a JWE (five parts)', 'a.b.c.d.e'],
      ['padded base64', 'eyJhIjoxfQ==.eyJhIjoxfQ==.AA=='],
      ['over 8 KiB', `${'a'.repeat(8190)}.b.c`],
      ['a header that is JSON but no object', `${base64url([1])}.${base64url({})}.AA`],
    ])('%s', async (_, text) => {
      expect(await outcome(text)).toBe('malformed');
    });

    it('refuses a valid proof whose signature is spelled with a stray bit (the same bytes)', async () => {
      const [input, signature] = (await proof(keys.es256)).split(/\.(?=[^.]*$)/);
      const respelled = strayBit(signature);
      expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
      expect(await outcome(`${input}.${respelled}`)).toBe('malformed');
    });

    it('refuses a valid proof over 8 KiB, and takes one just under', async () => {
      const padded = (length: number) => proof(keys.es256, { claims: { pad: 'x'.repeat(length) } });
      const [under, over] = await Promise.all([padded(5_800), padded(6_000)]);
      expect([under.length <= 8192, over.length > 8192]).toEqual([true, true]);
      expect(await outcome(under)).toBe('passed');
      expect(await outcome(over)).toBe('malformed');
    });

    it('refuses a valid proof with any one character changed, and only with a DpopProofError', async () => {
      const text = await proof(keys.es256);
      const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
      await fc.assert(
        fc.asyncProperty(fc.nat(text.length - 1), fc.constantFrom(...chars), async (at, char) => {
          fc.pre(text[at] !== char);
          const changed = `${text.slice(0, at)}${char}${text.slice(at + 1)}`;
          return (await outcome(changed)) !== 'passed';
        }),
        { seed: 424242, numRuns: 200 },
      );
    });

    it('answers any string, or any JSON in proof form, with a DpopProofError and nothing else', async () => {
      const part = fc.oneof(
        fc.jsonValue().map(base64url),
        fc.base64String().map((s) => s.replace(/=+$/, '')),
      );
      const header = fc.record({
        typ: fc.constantFrom('dpop+jwt', 'JWT', undefined),
        alg: fc.constantFrom('ES256', 'EdDSA', 'RS256', 'none', 'HS256', undefined),
        jwk: fc.oneof(fc.constant(undefined), fc.jsonValue(), fc.constant(p256('AA', 'AA'))),
      });
      const text = fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.tuple(part, part, part).map((parts) => parts.join('.')),
        fc.tuple(header.map(base64url), part, part).map((parts) => parts.join('.')),
      );
      const request = check({ accessToken: TOKEN, nonce: 'n' });
      await fc.assert(
        fc.asyncProperty(text, async (value) => {
          const error = await sut(value, request).then(
            () => null,
            (e: unknown) => e,
          );
          return error instanceof DpopProofError;
        }),
        { seed: 424242, numRuns: 200 },
      );
    });
  });
});

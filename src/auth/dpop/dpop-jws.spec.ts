import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { constants, type KeyObject, sign } from 'node:crypto';
import { keyPairSync } from '../../../test/fixtures/key-pair';
import { DPOP_ALGS, type DpopProofReason, verifyDpopProof } from './dpop-proof';
import {
  base64url,
  check,
  CLAIMS,
  NOW,
  outcome,
  proof,
  type Signer,
  signers,
  strayBit,
} from '../../../test/fixtures/dpop-proof';

/** P-256's group order: `n - s` is the other S of an ECDSA signature (SEC 1 §4.1.4). */
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const PSS = {
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
};

let keys: Awaited<ReturnType<typeof signers>>;
/** A key of jose's making for each algorithm, the RSA ones sharing one 2048-bit key. */
let byAlg: Record<string, Signer>;
beforeAll(async () => {
  keys = await signers();
  const made = async (alg: string, options?: { crv: string }) => {
    const { privateKey, publicKey } = await generateKeyPair<KeyObject>(alg, options);
    return { alg, privateKey, jwk: await exportJWK(publicKey) };
  };
  const rsa = (alg: string) => ({ ...keys.rs256, alg });
  byAlg = {
    ES256: keys.es256,
    ES384: await made('ES384'),
    ES512: await made('ES512'),
    EdDSA: keys.eddsa,
    Ed448: { ...(await made('EdDSA', { crv: 'Ed448' })), alg: 'EdDSA' },
    ...Object.fromEntries(DPOP_ALGS.filter((a) => /^[RP]S/.test(a)).map((a) => [a, rsa(a)])),
  };
});

const header = (by: Signer, fields: object = {}) => ({
  typ: 'dpop+jwt',
  alg: by.alg,
  jwk: by.jwk,
  ...fields,
});
/** A proof's signing input under `head`, and a signature over it by `signer`. */
const signedBy = (
  head: object,
  signer: (input: Buffer) => Buffer,
  claims: object = CLAIMS,
): string => {
  const input = `${base64url(head)}.${base64url(claims)}`;
  return `${input}.${signer(Buffer.from(input)).toString('base64url')}`;
};
const es256 = (digest: string, dsaEncoding: 'der' | 'ieee-p1363') => () =>
  signedBy(header(keys.es256), (input) =>
    sign(digest, input, { key: keys.es256.privateKey, dsaEncoding }),
  );
const rsa = (alg: string, options: object) => () =>
  signedBy(header({ ...keys.rs256, alg }), (input) =>
    sign('sha256', input, { key: keys.rs256.privateKey, ...options }),
  );
/** `text` with its signature's bytes changed by `edit`. */
const reSigned = (text: string, edit: (signature: Buffer) => Buffer) => {
  const at = text.lastIndexOf('.');
  const signature = Buffer.from(text.slice(at + 1), 'base64url');
  return `${text.slice(0, at)}.${edit(signature).toString('base64url')}`;
};
/** A good ES256 proof whose signature's bytes are changed by `edit`. */
const resigned = (edit: (signature: Buffer) => Buffer) => async () =>
  reSigned(await proof(keys.es256), edit);
/** JSON whose base64url ends in a group of 2 characters, so its last has 4 stray bits. */
const withTail = (value: Record<string, unknown>) => {
  for (let pad = ''; ; pad += 'x') {
    const padded = { ...value, pad };
    if (base64url(padded).length % 4 === 2) return padded;
  }
};

describe(`${verifyDpopProof.name}: the signature`, () => {
  it.each([...DPOP_ALGS, 'Ed448'])('accepts a proof signed by jose with %s', async (name) => {
    const by = byAlg[name];
    const text = await proof(by, { claims: { jti: `jti-${name}` } });
    await expect(verifyDpopProof(text, check())).resolves.toEqual({
      jkt: await calculateJwkThumbprint(by.jwk, 'sha256'),
      jti: `jti-${name}`,
      iat: NOW,
    });
  });

  // RFC 7518 asks for no low S, and Web Crypto signers do not normalise it. The other S signs
  // the same text, so the proof keeps its jkt and jti, and the replay cache refuses it as the same.
  it('takes an ECDSA signature with the other S as the same proof', async () => {
    const text = await proof(keys.es256);
    const other = reSigned(text, (signature) => {
      const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
      const high = Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex');
      return Buffer.concat([signature.subarray(0, 32), high]);
    });
    expect(other).not.toBe(text);
    const [made, remade] = await Promise.all([text, other].map((t) => verifyDpopProof(t, check())));
    expect(remade).toEqual(made);
  });

  it.each<[string, () => string | Promise<string>, DpopProofReason]>([
    ['a signature a byte short', resigned((s) => s.subarray(1)), 'signature'],
    ['a signature a byte long', resigned((s) => Buffer.concat([s, Buffer.alloc(1)])), 'signature'],
    [
      'a signature with a zero byte before it',
      resigned((s) => Buffer.concat([Buffer.alloc(1), s])),
      'signature',
    ],
    ['an ES256 signature in DER (RFC 7518 §3.4)', es256('sha256', 'der'), 'signature'],
    [
      'an ES256 header over an ECDSA signature of SHA-384',
      es256('sha384', 'ieee-p1363'),
      'signature',
    ],
    ['an RS256 header over a PSS signature', rsa('RS256', PSS), 'signature'],
    ['a PS256 header over a PKCS #1 v1.5 signature', rsa('PS256', {}), 'signature'],
    ['a PS256 signature salted with 0 bytes', rsa('PS256', { ...PSS, saltLength: 0 }), 'signature'],
    [
      'a PS256 signature salted with 64 bytes',
      rsa('PS256', { ...PSS, saltLength: 64 }),
      'signature',
    ],
    [
      'an RSA modulus of 2047 bits',
      () => {
        const { privateKey, publicKey } = keyPairSync('rsa', { modulusLength: 2047 });
        const jwk = publicKey.export({ format: 'jwk' });
        return signedBy({ typ: 'dpop+jwt', alg: 'RS256', jwk }, (i) =>
          sign('sha256', i, privateKey),
        );
      },
      'jwk',
    ],
    [
      'a header spelled with a stray bit',
      () => {
        const [head, ...rest] = signedBy(withTail(header(keys.es256)), (i) =>
          sign('sha256', i, { key: keys.es256.privateKey, dsaEncoding: 'ieee-p1363' }),
        ).split('.');
        return [strayBit(head), ...rest].join('.');
      },
      'malformed',
    ],
    [
      'a payload spelled with a stray bit',
      () => {
        const [head, payload, signature] = signedBy(
          header(keys.es256),
          (i) => sign('sha256', i, { key: keys.es256.privateKey, dsaEncoding: 'ieee-p1363' }),
          withTail(CLAIMS),
        ).split('.');
        return [head, strayBit(payload), signature].join('.');
      },
      'malformed',
    ],
  ])('refuses %s', async (_, make, expected) => {
    expect(await outcome(await make())).toBe(expected);
  });

  // OpenSSL takes a PSS signature shorter than the modulus (its leading zeros left out): a second
  // spelling of one proof. RFC 8017 §8.1.2 makes S exactly k octets, and so does the check.
  it('refuses a PS256 signature with its leading zero byte left out', async () => {
    let text: string;
    let full: Buffer;
    do {
      text = rsa('PS256', PSS)();
      full = Buffer.from(text.split('.')[2], 'base64url');
    } while (full[0] !== 0);
    const input = text.slice(0, text.lastIndexOf('.'));
    expect(await outcome(text)).toBe('passed');
    expect(await outcome(`${input}.${full.subarray(1).toString('base64url')}`)).toBe('signature');
  });

  it('checks the signature of each proof, its header seen before or not', async () => {
    const [first, second] = await Promise.all([proof(keys.es256), proof(keys.es256)]);
    expect(await outcome(first)).toBe('passed');
    const [head, payload] = second.split('.');
    expect(await outcome(`${head}.${payload}.${first.split('.')[2]}`)).toBe('signature');
    expect(await outcome(second)).toBe('passed');
  });

  it('gives a bad header the same refusal each time', async () => {
    const text = await proof(keys.es256, { header: { typ: 'JWT' } });
    expect([await outcome(text), await outcome(text)]).toEqual(['typ', 'typ']);
  });
});

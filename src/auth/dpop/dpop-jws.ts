import { LRUCache } from 'lru-cache';
import { constants, createPublicKey, hash, type KeyObject, verify } from 'node:crypto';

/** The algorithms a proof may be signed with: asymmetric only, so `none` and HS* never verify. */
export const DPOP_ALGS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const;
export type DpopAlg = (typeof DPOP_ALGS)[number];

/** Bounds the work done on a header before any parsing: real proofs are well under 2 KiB. */
export const DPOP_PROOF_MAX_LENGTH = 8192;

/** Why a proof was refused: a fixed word, safe to log or answer, never the proof's text. */
export const DPOP_PROOF_REASONS = [
  'malformed',
  'typ',
  'alg',
  'jwk',
  'signature',
  'htm',
  'htu',
  'iat',
  'ath',
  'jti',
  'nonce',
] as const;
export type DpopProofReason = (typeof DPOP_PROOF_REASONS)[number];

/** A DPoP proof that does not hold; `reason` says which rule it broke. */
export class DpopProofError extends Error {
  override readonly name = 'DpopProofError';

  constructor(readonly reason: DpopProofReason) {
    super(`Invalid DPoP proof (${reason})`);
  }
}

export const fail = (reason: DpopProofReason): never => {
  throw new DpopProofError(reason);
};

/** A proof whose header and signature hold: its key's RFC 7638 thumbprint, and its claims. */
export interface SignedProof {
  jkt: string;
  claims: Record<string, unknown>;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

type KeyType = 'EC' | 'OKP' | 'RSA';
/** The key each algorithm verifies with; a key of another kind is refused before any crypto. */
const KEY_FOR: Record<DpopAlg, { kty: KeyType; crv?: readonly string[] }> = {
  ES256: { kty: 'EC', crv: ['P-256'] },
  ES384: { kty: 'EC', crv: ['P-384'] },
  ES512: { kty: 'EC', crv: ['P-521'] },
  EdDSA: { kty: 'OKP', crv: ['Ed25519', 'Ed448'] },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
};
/** RFC 7638's required members: all a public key needs, and all that is imported or hashed. */
const PUBLIC_MEMBERS: Record<KeyType, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};
/**
 * A signature's one length on a curve: R and S, each as long as the order (RFC 7518 §3.4, so a
 * DER signature is refused), or Ed25519's and Ed448's (RFC 8032 §5.1.6, §5.2.6). An RSA one is as
 * long as the modulus (RFC 8017 §8.1.2, §8.2.2).
 */
const SIGNATURE_BYTES: Record<string, number> = {
  'P-256': 64,
  'P-384': 96,
  'P-521': 132,
  Ed25519: 64,
  Ed448: 114,
};
/**
 * RSA moduli from 2048 bits (RFC 7518 §3.3's floor) to 4096, and an exponent of at most 4 bytes
 * (every real key uses 65537). A caller-chosen exponent as long as the modulus makes one
 * verification of a 3072-bit key about 80 times dearer (7 ms instead of 0.08): a cheap way to
 * burn our CPU.
 */
const RSA_MODULUS_BITS = { min: 2048, max: 4096 };
const RSA_EXPONENT_MAX_BYTES = 4;

/**
 * A proof's compact JWS (RFC 9449 §4.3 steps 1 to 7): one JWS of canonical base64url parts, a
 * `dpop+jwt` header naming an asymmetric `alg` and a public `jwk` of the kind it needs, and a
 * signature by that key over the first two parts as sent; then its payload, a JSON object.
 * Throws only DpopProofError. What the claims must say is the caller's (verifyDpopProof).
 */
export async function signedProof(proof: string): Promise<SignedProof> {
  if (typeof proof !== 'string' || proof.length > DPOP_PROOF_MAX_LENGTH) fail('malformed');
  const parts = proof.split('.');
  if (parts.length !== 3 || !parts.every(isCanonicalBase64url)) fail('malformed');
  const [header, payload, signature] = parts;
  const key = HEADERS.get(header) ?? headerKey(header, proof.length);
  const input = proof.slice(0, header.length + 1 + payload.length);
  if (!(await signatureHolds(key, input, signature))) {
    fail('signature');
  }
  return { jkt: key.jkt, claims: jsonObject(payload) };
}

/** A proof's key as imported, with its thumbprint and how node:crypto checks `alg` under it. */
interface ProofKey {
  jkt: string;
  /** The digest; null for EdDSA, whose curve fixes it. */
  digest: string | null;
  /** The key, with node's options for `alg` (ECDSA as R and S; PSS with a digest-long salt). */
  key:
    | KeyObject
    | { key: KeyObject; dsaEncoding?: 'ieee-p1363'; padding?: number; saltLength?: number };
  signatureBytes: number;
}

/**
 * Keys a client sends again and again, as imported, with their thumbprints; bounded. Keyed by the
 * algorithm and the reduced public members, in their fixed order, so one key has one entry.
 */
const KEYS = new LRUCache<string, ProofKey>({ max: 10_000 });
/**
 * Headers found good, by their exact text: a client sends one header with every proof, so it is
 * parsed and checked once (docs/performance.md). The text decides every check of the header, so a
 * hit is the same verdict. Sized by the whole proof, which a header split from it may keep alive.
 */
const HEADERS = new LRUCache<string, ProofKey>({ max: 10_000, maxSize: 8 * 1024 * 1024 });

/** The key a protected header names, once the header is a DPoP proof's (RFC 9449 §4.3 4–7). */
function headerKey(text: string, proofLength: number): ProofKey {
  const header = jsonObject(text);
  // With RFC 7797's b64 (named in crit) the payload need not be base64url, and any other crit
  // names a rule this code does not apply. No DPoP client sends either.
  if ('crit' in header || 'b64' in header) fail('malformed');
  if (header.typ !== 'dpop+jwt') fail('typ');
  const alg = header.alg;
  if (!isDpopAlg(alg)) return fail('alg');
  const key = importedKey(publicJwk(header.jwk, alg), alg);
  HEADERS.set(text, key, { size: proofLength });
  return key;
}

function importedKey(jwk: Record<string, string>, alg: DpopAlg): ProofKey {
  // RFC 7638's input: the required members, in lexicographic order, with no whitespace.
  const canonical = JSON.stringify(jwk);
  const id = `${alg}|${canonical}`;
  const known = KEYS.get(id);
  if (known) return known;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    return fail('jwk');
  }
  const rsa = jwk.kty === 'RSA';
  const imported: ProofKey = {
    jkt: hash('sha256', canonical, 'base64url'),
    digest: alg === 'EdDSA' ? null : `sha${alg.slice(2)}`,
    key: rsa ? rsaOptions(key, alg) : jwk.kty === 'EC' ? { key, dsaEncoding: 'ieee-p1363' } : key,
    signatureBytes: rsa ? Buffer.from(jwk.n, 'base64url').length : SIGNATURE_BYTES[jwk.crv],
  };
  KEYS.set(id, imported);
  return imported;
}

/** RS*: PKCS #1 v1.5, node's default; PS*: PSS with a salt as long as the digest (RFC 7518 §3.5). */
function rsaOptions(key: KeyObject, alg: DpopAlg): ProofKey['key'] {
  if (!alg.startsWith('PS')) return key;
  return {
    key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
  };
}

/**
 * Checked by node:crypto on the imported key, on libuv's thread pool as jose's compactVerify did,
 * so that the event loop serves other requests meanwhile: a P-521 check takes 1 ms, and any caller
 * can ask for one. Checked on the event loop, an ES256 proof cost some 12% less CPU but kept the
 * loop 40% longer, and served no more proofs a second on 2 cores (docs/performance.md). Any error
 * (a key that cannot make this kind of signature, say) is a signature that fails.
 */
function signatureHolds(key: ProofKey, input: string, signature: string): Promise<boolean> {
  const bytes = Buffer.from(signature, 'base64url');
  if (bytes.length !== key.signatureBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      verify(key.digest, Buffer.from(input, 'latin1'), key.key, bytes, (error, holds) => {
        resolve(!error && holds);
      });
    } catch {
      resolve(false);
    }
  });
}

/**
 * Base64url with no padding and no stray bits: one spelling per byte string. Otherwise swapping
 * a signature's last character would give a proof of other text that still verifies, and one
 * key's `x` spelled two ways would give two thumbprints. A last group of 2 or 3 characters
 * carries 4 or 2 bits past the last byte, which must be 0; a group of 1 is no byte at all.
 */
function isCanonicalBase64url(text: string): boolean {
  if (!BASE64URL.test(text)) return false;
  const tail = text.length % 4;
  if (tail === 0) return true;
  const last = BASE64URL_ALPHABET.indexOf(text[text.length - 1]);
  return tail !== 1 && (last & (tail === 2 ? 0b1111 : 0b11)) === 0;
}

function isDpopAlg(alg: unknown): alg is DpopAlg {
  return typeof alg === 'string' && (DPOP_ALGS as readonly string[]).includes(alg);
}

/**
 * The header's `jwk`, reduced to its public members, once it is shown to be a public key of the
 * kind `alg` needs (RFC 9449 §4.3 step 7). Members such as `use` or `key_ops` are dropped rather
 * than handed to the key import, so nothing but the key itself decides what verifies.
 */
function publicJwk(value: unknown, alg: DpopAlg): Record<string, string> {
  if (!isPlainObject(value)) return fail('jwk');
  if (PRIVATE_MEMBERS.some((member) => member in value)) fail('jwk');
  const want = KEY_FOR[alg];
  if (value.kty !== want.kty) fail('jwk');
  if (want.crv && !want.crv.includes(value.crv as string)) fail('jwk');
  const members: Record<string, string> = {};
  for (const member of PUBLIC_MEMBERS[want.kty]) {
    const text = value[member];
    if (typeof text !== 'string') return fail('jwk');
    if (member !== 'kty' && member !== 'crv' && !isCanonicalBase64url(text)) fail('jwk');
    members[member] = text;
  }
  if (want.kty === 'RSA' && !rsaWithinBounds(members.n, members.e)) fail('jwk');
  return { ...members, kty: want.kty };
}

function rsaWithinBounds(n: string, e: string): boolean {
  const modulus = Buffer.from(n, 'base64url');
  const exponent = Buffer.from(e, 'base64url');
  if (modulus[0] === 0 || exponent[0] === 0 || exponent.length > RSA_EXPONENT_MAX_BYTES) {
    return false;
  }
  // The modulus's bits: its bytes' less the first byte's leading zeros.
  const bits = modulus.length * 8 - (Math.clz32(modulus[0]) - 24);
  return bits >= RSA_MODULUS_BITS.min && bits <= RSA_MODULUS_BITS.max;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A base64url part read as a JSON object; anything else is `malformed`. */
function jsonObject(part: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(utf8.decode(Buffer.from(part, 'base64url')));
    if (isPlainObject(value)) return value;
  } catch {
    // Falls through to the refusal below.
  }
  return fail('malformed');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

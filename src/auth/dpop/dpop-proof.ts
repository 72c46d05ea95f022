import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, importJWK, type JWK } from 'jose';
import { normalizeHtu } from './dpop-htu';

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

/** The request a proof must have been made for. */
export interface DpopCheck {
  /** The request's method; `htm` must equal it exactly. */
  method: string;
  /** Every URL the server may be reached at for this request; `htu` must name one of them. */
  urls: readonly string[];
  /** The access token presented with the proof, or null (a token request): `ath` then is ignored. */
  accessToken: string | null;
  nowSeconds: number;
  /** `iat` must lie within [now - window, now + window]. */
  windowSeconds: number;
  /**
   * The nonce the server requires (RFC 9449 §8): the one it gave, or a test of the `nonce` claim
   * (the server's stateless nonces, `DpopNonces.accepts`); null/undefined when it requires none.
   */
  nonce?: string | ((nonce: unknown) => boolean) | null;
}

export interface VerifiedProof {
  /** The RFC 7638 SHA-256 thumbprint of the proof's key: what `cnf.jkt` binds a token to. */
  jkt: string;
  jti: string;
  iat: number;
}

const MAX_JTI_LENGTH = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
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
 * RSA moduli from 2048 bits (jose's floor) to 4096, and an exponent of at most 4 bytes (every
 * real key uses 65537). A caller-chosen exponent as long as the modulus makes one verification
 * of a 3072-bit key about 80 times dearer (7 ms instead of 0.08): a cheap way to burn our CPU.
 */
const RSA_MODULUS_BYTES = { min: 256, max: 512 };
const RSA_EXPONENT_MAX_BYTES = 4;

const fail = (reason: DpopProofReason): never => {
  throw new DpopProofError(reason);
};

/**
 * Verifies a DPoP proof (RFC 9449 §4.3) for the request `check` describes, and names its key.
 * Throws only DpopProofError, whatever the input. The caller still has to claim `jti` in a
 * DpopReplayCache, and to match `jkt` against the token's `cnf.jkt`.
 */
export async function verifyDpopProof(proof: string, check: DpopCheck): Promise<VerifiedProof> {
  if (typeof proof !== 'string' || proof.length > DPOP_PROOF_MAX_LENGTH) fail('malformed');
  const parts = proof.split('.');
  if (parts.length !== 3 || !parts.every(isCanonicalBase64url)) fail('malformed');
  const header = jsonObject(parts[0]);
  // With RFC 7797's b64 (named in crit) jose would verify a payload that is not base64url, and
  // any other crit names a rule this code does not apply. No DPoP client sends either.
  if ('crit' in header || 'b64' in header) fail('malformed');
  if (header.typ !== 'dpop+jwt') fail('typ');
  const alg = header.alg;
  if (!isDpopAlg(alg)) return fail('alg');
  const jwk = publicJwk(header.jwk, alg);
  const { key, jkt } = await importedKey(jwk, alg);
  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(proof, key, { algorithms: [alg] }));
  } catch {
    return fail('signature');
  }
  const claims = jsonObject(payloadBytes);

  const { jti, htm, htu, iat } = claims;
  if (typeof jti !== 'string' || jti.length < 1 || jti.length > MAX_JTI_LENGTH) fail('jti');
  if (typeof htm !== 'string' || htm !== check.method) fail('htm');
  if (typeof htu !== 'string' || !sameResource(htu, check.urls)) fail('htu');
  // Written so that a NaN anywhere (a caller's clock gone wrong) refuses rather than passes.
  if (
    !Number.isInteger(iat) ||
    !(Math.abs((iat as number) - check.nowSeconds) <= check.windowSeconds)
  ) {
    fail('iat');
  }
  if (check.accessToken !== null && claims.ath !== accessTokenHash(check.accessToken)) fail('ath');
  // Last, so that `nonce` is said only of a proof that is good otherwise: a client that retries it
  // with the nonce the refusal gave succeeds (RFC 9449 §8).
  if (check.nonce != null && !nonceHolds(claims.nonce, check.nonce)) fail('nonce');

  return { jkt, jti: jti as string, iat: iat as number };
}

function nonceHolds(nonce: unknown, wanted: NonNullable<DpopCheck['nonce']>): boolean {
  return typeof wanted === 'string' ? nonce === wanted : wanted(nonce);
}

/** Keys a client sends again and again, as imported, with their thumbprints; bounded. */
const IMPORTED = new LRUCache<string, Imported>({ max: 10_000 });
interface Imported {
  key: Awaited<ReturnType<typeof importJWK>>;
  jkt: string;
}

/**
 * The key of a proof's `jwk`, imported once: a client signs every proof with one key, and the
 * import cost about a fifth of a proof's check under load (docs/performance.md). Keyed by the
 * algorithm and the reduced public members, in their fixed order, so one key has one entry.
 */
async function importedKey(jwk: JWK, alg: DpopAlg): Promise<Imported> {
  const id = `${alg}|${JSON.stringify(jwk)}`;
  const known = IMPORTED.get(id);
  if (known) return known;
  try {
    const imported = {
      key: await importJWK(jwk, alg),
      jkt: await calculateJwkThumbprint(jwk, 'sha256'),
    };
    IMPORTED.set(id, imported);
    return imported;
  } catch {
    return fail('jwk');
  }
}

/** `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the token's text (ASCII, so UTF-8 alike). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

/**
 * Base64url with no padding and no stray bits: one spelling per byte string. Otherwise swapping
 * a signature's last character would give a proof of other text that still verifies, and one
 * key's `x` spelled two ways would give two thumbprints.
 */
function isCanonicalBase64url(text: string): boolean {
  return BASE64URL.test(text) && Buffer.from(text, 'base64url').toString('base64url') === text;
}

function isDpopAlg(alg: unknown): alg is DpopAlg {
  return typeof alg === 'string' && (DPOP_ALGS as readonly string[]).includes(alg);
}

/**
 * The header's `jwk`, reduced to its public members, once it is shown to be a public key of the
 * kind `alg` needs (RFC 9449 §4.3 step 7). Members such as `use` or `key_ops` are dropped rather
 * than handed to the key import, so nothing but the key itself decides what verifies.
 */
function publicJwk(value: unknown, alg: DpopAlg): JWK {
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
  return (
    modulus[0] !== 0 &&
    exponent[0] !== 0 &&
    modulus.length >= RSA_MODULUS_BYTES.min &&
    modulus.length <= RSA_MODULUS_BYTES.max &&
    exponent.length <= RSA_EXPONENT_MAX_BYTES
  );
}

function sameResource(htu: string, urls: readonly string[]): boolean {
  const wanted = normalizeHtu(htu);
  // A URL the server was given that does not parse (say, built from a bad Host header) matches
  // nothing, rather than throwing.
  return wanted !== null && urls.some((url) => normalizeHtu(url) === wanted);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A base64url part or payload bytes, read as a JSON object; anything else is `malformed`. */
function jsonObject(input: string | Uint8Array): Record<string, unknown> {
  try {
    const bytes = typeof input === 'string' ? Buffer.from(input, 'base64url') : input;
    const value: unknown = JSON.parse(utf8.decode(bytes));
    if (isPlainObject(value)) return value;
  } catch {
    // Falls through to the refusal below.
  }
  return fail('malformed');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

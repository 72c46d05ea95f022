import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  type DpopCheck,
  DpopProofError,
  type DpopProofReason,
  verifyDpopProof,
} from './dpop-proof';

/**
 * What the DPoP proof specs make their proofs with: one request (`check()`), real keys, and
 * proofs for that request changed only where a test says. A spec's helper (the specs outgrew one
 * file), not used by the app.
 */
export const NOW = 1_767_225_600;
export const WINDOW = 60;
export const URL_ = 'https://api.latchkey.example/v1/tokens';
export const TOKEN = 'lk_live_3Zm9qQ2bXo7wVn4KcR8sT1yU';
export const CLAIMS: JWTPayload = { jti: 'j', htm: 'POST', htu: URL_, iat: NOW };

export const check = (fields: Partial<DpopCheck> = {}): DpopCheck => ({
  method: 'POST',
  urls: [URL_],
  accessToken: null,
  nowSeconds: NOW,
  windowSeconds: WINDOW,
  ...fields,
});

export type Signer = { alg: string; privateKey: KeyObject; jwk: JWK };

async function signer(alg: string, options?: { crv?: string; modulusLength?: number }) {
  const { privateKey, publicKey } = await generateKeyPair<KeyObject>(alg, options);
  return { alg, privateKey, jwk: await exportJWK(publicKey) } satisfies Signer;
}

/** The keys the specs sign with: `other` is a second ES256 key, for a proof under a wrong jwk. */
export async function signers() {
  const [es256, eddsa, rs256, other] = await Promise.all([
    signer('ES256'),
    signer('EdDSA', { crv: 'Ed25519' }),
    signer('RS256', { modulusLength: 2048 }),
    signer('ES256'),
  ]);
  return { es256, eddsa, rs256, other };
}

/** `signWith` signs in place of the key the header names. */
export type ProofParts = {
  header?: object;
  claims?: JWTPayload;
  signWith?: KeyObject | Uint8Array;
};

/** A proof for `check()`'s request, made by jose, changed only where `parts` says. */
export function proof(by: Signer, { header = {}, claims = {}, signWith }: ProofParts = {}) {
  const jti = randomBytes(12).toString('base64url');
  return new SignJWT({ jti, htm: 'POST', htu: URL_, iat: NOW, ...claims })
    .setProtectedHeader({ alg: by.alg, typ: 'dpop+jwt', jwk: by.jwk, ...header })
    .sign(signWith ?? by.privateKey);
}

export const base64url = (value: unknown) =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

/** A proof signed over SHA-256 as given, for the headers jose's SignJWT would not write. */
export function signed(key: KeyObject, header: object, claims = CLAIMS) {
  const input = `${base64url(header)}.${base64url(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The text with its last character's lowest bit flipped: a bit the decoder drops, if any. */
export function strayBit(text: string) {
  const last = ALPHABET.indexOf(text[text.length - 1]);
  return `${text.slice(0, -1)}${ALPHABET[last ^ 1]}`;
}

/** The reason a proof is refused for, or 'passed'; any other error fails the test. */
export async function outcome(
  text: unknown,
  request: DpopCheck = check(),
): Promise<DpopProofReason | 'passed'> {
  try {
    await verifyDpopProof(text as string, request);
    return 'passed';
  } catch (e) {
    if (e instanceof DpopProofError) return e.reason;
    throw e;
  }
}

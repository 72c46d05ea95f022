import { hash } from 'node:crypto';
import { normalizeHtu } from './dpop-htu';
import { fail, signedProof } from './dpop-jws';

export {
  DPOP_ALGS,
  DPOP_PROOF_MAX_LENGTH,
  DPOP_PROOF_REASONS,
  type DpopAlg,
  DpopProofError,
  type DpopProofReason,
} from './dpop-jws';

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

/**
 * Verifies a DPoP proof (RFC 9449 §4.3) for the request `check` describes, and names its key.
 * Throws only DpopProofError, whatever the input. The caller still has to claim `jti` in a
 * DpopReplayCache, and to match `jkt` against the token's `cnf.jkt`.
 */
export async function verifyDpopProof(proof: string, check: DpopCheck): Promise<VerifiedProof> {
  // Its header, key and signature (steps 1 to 7), then the claims against the request.
  const { jkt, claims } = await signedProof(proof);
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

/** `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the token's text (ASCII, so UTF-8 alike). */
export function accessTokenHash(accessToken: string): string {
  return hash('sha256', accessToken, 'base64url');
}

function sameResource(htu: string, urls: readonly string[]): boolean {
  // The usual proof names the URL as the server spells it: equal text normalises alike, so one
  // parse is left, to refuse what is no http(s) URL.
  if (urls.includes(htu)) return normalizeHtu(htu) !== null;
  const wanted = normalizeHtu(htu);
  // A URL the server was given that does not parse (say, built from a bad Host header) matches
  // nothing, rather than throwing.
  return wanted !== null && urls.some((url) => normalizeHtu(url) === wanted);
}

import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * RFC 7636 §4.1 and §4.2: a code verifier, and the challenge the profile takes, are 43 to 128
 * characters of the unreserved set `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
 */
export const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** RFC 7636 §4.2: `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`. */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * RFC 7636 §4.6: whether `verifier` is well-formed and its S256 transform equals `challenge`,
 * compared in constant time. `plain` is never taken: a verifier equal to the challenge fails.
 */
export function verifierMatches(verifier: string | null | undefined, challenge: string): boolean {
  if (typeof verifier !== 'string' || !PKCE_VALUE.test(verifier)) return false;
  const derived = Buffer.from(s256Challenge(verifier), 'ascii');
  const expected = Buffer.from(challenge, 'ascii');
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}

/**
 * What a verification came to, as analytics counts it. One per verification: the request that
 * presented a token (on any route) or a gateway's check of one (`/auth/verify`).
 */
export const OUTCOMES = [
  'valid',
  'revoked',
  'expired',
  'disabled',
  'rate_limited',
  'credits_exhausted',
  'uses_exhausted',
  'ip_not_allowed',
  'insufficient_scope',
  'business_refused',
  'refused',
  'unknown',
] as const;

export type Outcome = (typeof OUTCOMES)[number];

/**
 * The refusals that are the token's, by the answer's error code. Any other code on a request
 * whose token was found (a 404 object, a 422 body, a role the holder lacks, a 500) is `valid`:
 * the token authenticated and the request failed for another reason. `INVALID_TOKEN` is `unknown`
 * when no such token exists (or the string is malformed), and `refused` for a token found but
 * refused all the same (see `classify`). `CREDITS_EXHAUSTED` is the credits' refusal.
 */
export const OUTCOME_OF_CODE: ReadonlyMap<string, Outcome> = new Map(
  Object.entries({
    TOKEN_REVOKED: 'revoked',
    TOKEN_EXPIRED: 'expired',
    TOKEN_DISABLED: 'disabled',
    RATE_LIMITED: 'rate_limited',
    CREDITS_EXHAUSTED: 'credits_exhausted',
    USES_EXHAUSTED: 'uses_exhausted',
    IP_NOT_ALLOWED: 'ip_not_allowed',
    INSUFFICIENT_SCOPE: 'insufficient_scope',
    // The token is good, but not in this business, or its business is suspended.
    BUSINESS_SUSPENDED: 'business_refused',
    BUSINESS_MISMATCH: 'business_refused',
    BUSINESS_NOT_FOUND: 'business_refused',
    // A token found and refused for how it was shown (DPoP, audience) or whose holder left.
    INVALID_DPOP_PROOF: 'refused',
    USE_DPOP_NONCE: 'refused',
    INVALID_TOKEN: 'refused',
  } satisfies Record<string, Outcome>),
);

/**
 * The outcome of a request the verifier was asked about: `found` says whether the token exists
 * (false: no such token, or malformed), `code` is the answer's error code (undefined when it
 * succeeded).
 */
export function classify(found: boolean, code: string | undefined): Outcome {
  if (!found) return 'unknown';
  if (code === undefined) return 'valid';
  return OUTCOME_OF_CODE.get(code) ?? 'valid';
}

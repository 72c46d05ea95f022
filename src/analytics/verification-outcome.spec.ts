import { classify, OUTCOME_OF_CODE, OUTCOMES } from './verification-outcome';

describe(classify.name, () => {
  const sut = classify;

  it.each([
    [true, undefined, 'valid'],
    [true, 'TOKEN_REVOKED', 'revoked'],
    [true, 'TOKEN_EXPIRED', 'expired'],
    [true, 'TOKEN_DISABLED', 'disabled'],
    [true, 'RATE_LIMITED', 'rate_limited'],
    [true, 'CREDITS_EXHAUSTED', 'credits_exhausted'],
    [true, 'USES_EXHAUSTED', 'uses_exhausted'],
    [true, 'IP_NOT_ALLOWED', 'ip_not_allowed'],
    [true, 'INSUFFICIENT_SCOPE', 'insufficient_scope'],
    [true, 'BUSINESS_SUSPENDED', 'business_refused'],
    [true, 'BUSINESS_MISMATCH', 'business_refused'],
    [true, 'INVALID_DPOP_PROOF', 'refused'],
    [true, 'INVALID_TOKEN', 'refused'],
    // Not the token's: the request failed after it authenticated.
    [true, 'NOT_FOUND', 'valid'],
    [true, 'VALIDATION_ERROR', 'valid'],
    [true, 'INSUFFICIENT_ROLE', 'valid'],
    [true, 'INTERNAL_ERROR', 'valid'],
    [true, 'constructor', 'valid'],
    [false, 'INVALID_TOKEN', 'unknown'],
    [false, 'RATE_LIMITED', 'unknown'],
  ] as const)('found %p with code %p is %p', (found, code, outcome) => {
    expect(sut(found, code)).toBe(outcome);
  });

  it('maps every code to an outcome it declares', () => {
    for (const outcome of OUTCOME_OF_CODE.values()) expect(OUTCOMES).toContain(outcome);
  });
});

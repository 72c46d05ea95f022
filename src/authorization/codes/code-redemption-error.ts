/** The RFC 6749 §5.2 errors a token request with a code is refused with. */
export type CodeRedemptionErrorCode = 'invalid_request' | 'invalid_grant';

/**
 * A redemption refused: the token endpoint answers it as RFC 6749 §5.2's `{error,
 * error_description}`. The description is a fixed phrase; it never holds the code, the verifier
 * or anything else the caller sent, and it does not say which binding failed to match.
 */
export class CodeRedemptionError extends Error {
  constructor(
    readonly error: CodeRedemptionErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

/** The one answer for a code that cannot be redeemed, whatever the reason. */
export const invalidGrant = () =>
  new CodeRedemptionError('invalid_grant', 'The authorization code is not valid');

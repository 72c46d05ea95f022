import { OAuthError } from '../../common/errors/oauth-error';

/**
 * The one answer for a code that cannot be redeemed, whatever the reason: a fixed phrase that
 * never holds the code or the verifier, and does not say which binding failed to match.
 */
export const invalidGrant = () =>
  new OAuthError('invalid_grant', 'The authorization code is not valid');

import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/**
 * Console sign-in through the identity provider, and each business's group rules. A sign-in's
 * refusals reach the console as these codes (after `#error=` on its return), never as text a
 * caller wrote.
 */
export const SSO_ERRORS = {
  // No OIDC_ISSUER: the installation's state, which no retry changes.
  SSO_NOT_CONFIGURED: {
    status: 409,
    message: 'This installation has no identity provider: set OIDC_ISSUER to sign in with SSO',
  },
  SSO_PROVIDER_UNAVAILABLE: {
    status: 503,
    message: 'The identity provider could not be reached; try again shortly',
  },
  SSO_TOO_MANY_SIGN_INS: {
    status: 429,
    message: 'Too many sign-ins are in flight; try again in a few minutes',
  },
  // An unknown, used or replayed state, or one from another browser (no matching cookie).
  SSO_STATE_INVALID: { status: 400, message: 'This sign-in is not valid: start it again' },
  SSO_EXPIRED: { status: 400, message: 'This sign-in took too long: start it again' },
  // The provider answered with an error, or what it sent failed a check (issuer, nonce, …).
  SSO_PROVIDER_REJECTED: {
    status: 400,
    message: 'The identity provider did not vouch for this sign-in',
  },
  SSO_EMAIL_UNVERIFIED: {
    status: 403,
    message: 'The identity provider does not say this email address is verified',
  },
  SSO_NO_ROLE: {
    status: 403,
    message: 'None of your groups is given a role in this business: ask an owner to map one',
  },
  // Told only to a person whose groups give them a role there: no one else learns it.
  SSO_BUSINESS_SUSPENDED: {
    status: 403,
    message: 'This business is suspended: no one signs in to it until it is resumed',
  },
  SSO_CHOOSE_BUSINESS: {
    status: 409,
    message: 'Your groups give you a role in several businesses: choose one of them',
  },
  // Token sign-in off, set from a token the console would then refuse: its owner locked out.
  SSO_LOCKOUT: {
    status: 409,
    message:
      'Turning token sign-in off would lock you out of the console, which would refuse the token ' +
      'you are using: sign in to the console with SSO, then turn it off from that session',
  },
  SSO_HANDOFF_INVALID: {
    status: 400,
    message: 'This sign-in was collected already, expired, or began in another browser',
  },
  SSO_GROUP_ROLE_NOT_FOUND: { status: 404, message: 'Group rule not found' },
  SSO_GROUP_ROLE_LIMIT_REACHED: {
    status: 409,
    message: 'The business has as many group rules as it may hold (100)',
  },
} as const satisfies ErrorTable;

export type SsoErrorCode = keyof typeof SSO_ERRORS;

export class SsoError extends DomainError<SsoErrorCode> {
  constructor(code: SsoErrorCode, detail?: string) {
    super(code, SSO_ERRORS[code], detail);
  }
}

import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/** Invitations by email: sending them, and the link's one use. */
export const INVITATION_ERRORS = {
  // No SMTP_URL: an invitation would never arrive, so none is made.
  // The installation's state, not a fault that passes: no retry helps until SMTP_URL is set.
  EMAIL_NOT_CONFIGURED: {
    status: 409,
    message: 'This installation sends no email: set SMTP_URL to invite by email',
  },
  // The mail server refused or could not be reached; the invitation is kept as send_failed.
  EMAIL_SEND_FAILED: {
    status: 503,
    message: 'The mail server did not take the invitation; it is kept as send_failed: resend it',
  },
  INVITATION_NOT_FOUND: { status: 404, message: 'Invitation not found' },
  // An unknown link, a replaced one (after a resend) and no link at all read alike.
  INVALID_INVITATION: { status: 404, message: 'This invitation link is not valid' },
  INVITATION_EXPIRED: { status: 409, message: 'This invitation has expired' },
  INVITATION_REVOKED: { status: 409, message: 'This invitation was revoked' },
  INVITATION_ALREADY_ACCEPTED: { status: 409, message: 'This invitation was accepted already' },
  // Nothing is made in a suspended business; the link stays open until it expires.
  INVITATION_BUSINESS_SUSPENDED: {
    status: 409,
    message: 'The business is suspended: the invitation can be accepted once it is resumed',
  },
  INVITATION_NOT_OPEN: {
    status: 409,
    message: 'This invitation was accepted or revoked: it can be neither resent nor revoked',
  },
  INVITATION_EXISTS: {
    status: 409,
    message: 'This person has an open invitation to the business already: resend or revoke it',
  },
  INVITATION_LIMIT_REACHED: {
    status: 409,
    message: 'The business has as many open invitations as it may hold',
  },
  INVITATION_RESEND_TOO_SOON: {
    status: 429,
    message: 'This invitation was sent a moment ago; see Retry-After',
  },
} as const satisfies ErrorTable;

export type InvitationErrorCode = keyof typeof INVITATION_ERRORS;

export class InvitationError extends DomainError<InvitationErrorCode> {
  constructor(code: InvitationErrorCode, detail?: string, headers?: Record<string, string>) {
    super(code, INVITATION_ERRORS[code], detail, headers);
  }
}

export const invitationNotFound = () => new InvitationError('INVITATION_NOT_FOUND');

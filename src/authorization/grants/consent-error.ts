import { DomainError } from '../../common/errors/domain-error';
import type { ErrorTable } from '../../common/errors/error-codes';

/** A person's consent to a client, and the connected apps it makes. */
export const CONSENT_ERRORS = {
  // Also a request of another business, one changed on the way, or one past its ten minutes.
  AUTHORIZATION_REQUEST_NOT_FOUND: {
    status: 404,
    message: 'Authorization request not found, or expired: start again from the app',
  },
  CONSENT_BY_PERSON_ONLY: {
    status: 403,
    message: 'Only a person signed in to this business may allow an app to act for them',
  },
  // Also another person's: existence is never confirmed.
  CONNECTED_APP_NOT_FOUND: { status: 404, message: 'Connected app not found' },
  // Also another person's, unless the caller decides the business's requests.
  CONSENT_REQUEST_NOT_FOUND: { status: 404, message: 'Connected app request not found' },
  APPROVAL_NOT_REQUIRED: {
    status: 409,
    message: "None of these scopes needs an approver under the business's token policy",
  },
  CONSENT_REQUEST_NOT_PENDING: {
    status: 409,
    message: 'This connected app request was decided already',
  },
  CONSENT_REQUEST_LIMIT_REACHED: {
    status: 409,
    message: 'There are as many pending connected app requests as are allowed: wait for decisions',
  },
} as const satisfies ErrorTable;

export type ConsentErrorCode = keyof typeof CONSENT_ERRORS;

export class ConsentError extends DomainError<ConsentErrorCode> {
  constructor(code: ConsentErrorCode, detail?: string) {
    super(code, CONSENT_ERRORS[code], detail);
  }
}

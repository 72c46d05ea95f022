import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/** Token requests: filing them, deciding them, and collecting an approved token once. */
export const APPROVAL_ERRORS = {
  // Another's request, another business's, or none: alike, so existence is never confirmed.
  TOKEN_REQUEST_NOT_FOUND: { status: 404, message: 'Token request not found' },
  // An approval binds a person to a decision: a machine's token cannot make one.
  APPROVER_MUST_BE_PERSON: {
    status: 403,
    message: 'Only a person (a user identity) approves or denies a token request',
  },
  // A platform token acts with every role but holds no membership: it decides nothing here.
  APPROVER_NOT_MEMBER: {
    status: 403,
    message: 'Only an owner or admin of the business approves or denies a token request',
  },
  // Whichever of the requester's tokens is used: the identity is what is compared.
  SELF_APPROVAL: { status: 403, message: 'A token request is never decided by its requester' },
  APPROVER_OUTRANKED: {
    status: 403,
    message: "An admin does not decide an owner's token request",
  },
  REQUEST_NOT_PENDING: {
    status: 409,
    message: 'This token request was decided or withdrawn already',
  },
  REQUEST_NOT_APPROVED: {
    status: 409,
    message: 'This token request is not approved: there is nothing to collect',
  },
  REQUEST_ALREADY_COLLECTED: {
    status: 409,
    message: 'The token of this request was collected already',
  },
  APPROVAL_EXPIRED: {
    status: 409,
    message: 'The approval lapsed before the token was collected: file a new request',
  },
  TOKEN_REQUEST_LIMIT_REACHED: {
    status: 409,
    message: 'This identity has as many pending token requests as it may: withdraw one first',
  },
  BUSINESS_REQUEST_LIMIT_REACHED: {
    status: 409,
    message: 'The business has as many pending token requests as it may hold',
  },
} as const satisfies ErrorTable;

export type ApprovalErrorCode = keyof typeof APPROVAL_ERRORS;

export class ApprovalError extends DomainError<ApprovalErrorCode> {
  constructor(code: ApprovalErrorCode, detail?: string) {
    super(code, APPROVAL_ERRORS[code], detail);
  }
}

export const requestNotFound = () => new ApprovalError('TOKEN_REQUEST_NOT_FOUND');

import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/** The rules of businesses, members and identities. */
export const TENANCY_ERRORS = {
  BUSINESS_NOT_FOUND: { status: 404, message: 'Business not found' },
  MEMBER_NOT_FOUND: { status: 404, message: 'Member not found' },
  IDENTITY_NOT_FOUND: { status: 404, message: 'Identity not found' },
  LAST_OWNER: { status: 409, message: 'The last owner of a business cannot be removed or demoted' },
  LAST_PLATFORM_ADMIN: { status: 409, message: 'The last platform admin cannot be removed' },
  MEMBER_EXISTS: { status: 409, message: 'This person is already a member of the business' },
  IDENTITY_EXISTS: { status: 409, message: 'This identity exists already' },
} as const satisfies ErrorTable;

export type TenancyErrorCode = keyof typeof TENANCY_ERRORS;

/** A rule of businesses, members or identities was broken. */
export class TenancyError extends DomainError<TenancyErrorCode> {
  constructor(code: TenancyErrorCode, detail?: string) {
    super(code, TENANCY_ERRORS[code], detail);
  }
}

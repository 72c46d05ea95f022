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
  CUSTOM_ROLE_NOT_FOUND: { status: 404, message: 'Custom role not found' },
  CUSTOM_ROLE_EXISTS: { status: 409, message: 'The business has a custom role of this name' },
  CUSTOM_ROLE_IN_USE: {
    status: 409,
    message: 'Members hold this custom role: give them another role first',
  },
  CUSTOM_ROLE_LIMIT_REACHED: {
    status: 409,
    message: 'The business has as many custom roles as it may hold (50)',
  },
  // A custom role never holds more than the token (and role) that shapes it.
  ROLE_ESCALATION: {
    status: 403,
    message: 'The custom role would hold more than its maker may grant',
  },
  // Its scopes lie within its base role: a member-based role holds no admin scope.
  SCOPE_BEYOND_BASE_ROLE: {
    status: 422,
    message: 'A custom role holds no scope its base role could never use',
  },
} as const satisfies ErrorTable;

export type TenancyErrorCode = keyof typeof TENANCY_ERRORS;

/** A rule of businesses, members or identities was broken. */
export class TenancyError extends DomainError<TenancyErrorCode> {
  constructor(code: TenancyErrorCode, detail?: string) {
    super(code, TENANCY_ERRORS[code], detail);
  }
}

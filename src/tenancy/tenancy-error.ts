import { DomainError } from '../common/domain-error';
import type { ErrorTable } from '../common/error-codes';

/** The rules of businesses, members and identities. */
export const TENANCY_ERRORS = {
  BUSINESS_NOT_FOUND: 404,
  MEMBER_NOT_FOUND: 404,
  IDENTITY_NOT_FOUND: 404,
  LAST_OWNER: 409,
  LAST_PLATFORM_ADMIN: 409,
  MEMBER_EXISTS: 409,
  IDENTITY_EXISTS: 409,
} as const satisfies ErrorTable;

export type TenancyErrorCode = keyof typeof TENANCY_ERRORS;

/** A rule of businesses, members or identities was broken. */
export class TenancyError extends DomainError<TenancyErrorCode> {
  constructor(code: TenancyErrorCode, message: string) {
    super(code, TENANCY_ERRORS[code], message);
  }
}

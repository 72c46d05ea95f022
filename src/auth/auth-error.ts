import { DomainError } from '../common/domain-error';
import type { ErrorTable } from '../common/error-codes';

/** Authentication (401) and authorization (403, or 404 for a business a platform token names). */
export const AUTH_ERRORS = {
  INVALID_TOKEN: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  BUSINESS_MISMATCH: 403,
  BUSINESS_SUSPENDED: 403,
  INSUFFICIENT_ROLE: 403,
  INSUFFICIENT_SCOPE: 403,
  PLATFORM_ADMIN_REQUIRED: 403,
  NOT_TOKEN_HOLDER: 403,
  // A token in its rotation grace period writes nothing but its own revocation.
  TOKEN_RETIRING: 403,
  BUSINESS_NOT_FOUND: 404,
} as const satisfies ErrorTable;

export type AuthErrorCode = keyof typeof AUTH_ERRORS;
type CodesAnswering<S> = {
  [C in AuthErrorCode]: (typeof AUTH_ERRORS)[C] extends S ? C : never;
}[AuthErrorCode];
/** The codes a bearer failure answers with (401). */
export type BearerCode = CodesAnswering<401>;
/** The codes a refusal answers with (403). */
export type ForbiddenCode = CodesAnswering<403>;

/** An authentication or authorization failure. */
export class AuthError extends DomainError<AuthErrorCode> {
  private constructor(code: AuthErrorCode, message: string, headers?: Record<string, string>) {
    super(code, AUTH_ERRORS[code], message, headers);
  }

  /** 401 with the RFC 6750 challenge. */
  static bearer(code: BearerCode, message: string): AuthError {
    return new AuthError(code, message, { 'www-authenticate': 'Bearer error="invalid_token"' });
  }

  /** 403: the caller is known, and may not do this. */
  static forbidden(code: ForbiddenCode, message: string): AuthError {
    return new AuthError(code, message);
  }

  /** 404 for a business that a platform token names and that does not exist. */
  static businessNotFound(): AuthError {
    return new AuthError('BUSINESS_NOT_FOUND', 'Business not found');
  }
}

import { DomainError } from '../common/domain-error';
import { ErrorCode } from '../common/error-codes';

type BearerCode = 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'TOKEN_REVOKED';

/** An authentication or authorization failure. */
export class AuthError extends DomainError {
  /** 401 with the RFC 6750 challenge. */
  static bearer(code: BearerCode, message: string): AuthError {
    return new AuthError(code, message, {
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    });
  }

  static forbidden(code: ErrorCode, message: string): AuthError {
    return new AuthError(code, message);
  }
}

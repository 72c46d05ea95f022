/**
 * Every error code the API answers with, and the HTTP status it carries by default. A domain
 * error may override the status where the design gives one code two meanings (INVALID_TOKEN
 * is 401 as a bearer and 422 as a body field).
 */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  INVALID_TOKEN: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  FORBIDDEN: 403,
  BUSINESS_MISMATCH: 403,
  BUSINESS_SUSPENDED: 403,
  INSUFFICIENT_ROLE: 403,
  INSUFFICIENT_SCOPE: 403,
  PLATFORM_ADMIN_REQUIRED: 403,
  SCOPE_ESCALATION: 403,
  NOT_TOKEN_HOLDER: 403,
  NOT_FOUND: 404,
  BUSINESS_NOT_FOUND: 404,
  MEMBER_NOT_FOUND: 404,
  IDENTITY_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  CONFLICT: 409,
  LAST_OWNER: 409,
  LAST_PLATFORM_ADMIN: 409,
  MEMBER_EXISTS: 409,
  IDENTITY_EXISTS: 409,
  TOKEN_NOT_ACTIVE: 409,
  TOKEN_ALREADY_ROTATED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  VALIDATION_ERROR: 422,
  INVALID_CURSOR: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  STORAGE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The code used for a bare HTTP status that no domain error explains. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      return 'INVALID_TOKEN';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 406:
      return 'NOT_ACCEPTABLE';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 431:
      return 'HEADERS_TOO_LARGE';
    case 422:
      return 'VALIDATION_ERROR';
    case 429:
      return 'RATE_LIMITED';
    case 503:
      return 'STORAGE_UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST';
  }
}

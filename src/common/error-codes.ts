/** The HTTP statuses an error answer can carry. */
export type ErrorHttpStatus =
  400 | 401 | 403 | 404 | 405 | 406 | 408 | 409 | 413 | 415 | 422 | 429 | 431 | 500 | 503;

/**
 * A feature's error codes, each with the status it answers with. Every feature owns one such
 * table beside its error class; the table's keys are the feature's code enum, so a code that is
 * thrown without a status, or by the wrong feature, fails the compiler. `core/error-status.ts`
 * joins them into the one catalog of the API.
 */
export type ErrorTable = Readonly<Record<string, ErrorHttpStatus>>;

/**
 * The codes of the request pipeline itself: framework errors by status, validation, storage, the
 * generic 404 and 429 that any feature may answer, and the 503 of a server that is shutting down.
 */
export const COMMON_ERRORS = {
  BAD_REQUEST: 400,
  INVALID_TOKEN: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_ERROR: 422,
  INVALID_CURSOR: 422,
  // A Latchkey token, checksum and all, in a stored text field (a name, a reason, an email).
  SECRET_IN_TEXT: 422,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500,
  STORAGE_UNAVAILABLE: 503,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies ErrorTable;

export type CommonErrorCode = keyof typeof COMMON_ERRORS;

/** The code of a bare HTTP status that no domain error explains (a framework's exception). */
export function codeForStatus(status: number): CommonErrorCode {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      // Passport's AuthGuard('bearer') answers a bare 401: it is the bearer's failure.
      return 'INVALID_TOKEN';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 406:
      return 'NOT_ACCEPTABLE';
    case 408:
      return 'REQUEST_TIMEOUT';
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

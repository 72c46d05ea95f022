/** The HTTP statuses an error answer can carry. */
export type ErrorHttpStatus =
  400 | 401 | 403 | 404 | 405 | 406 | 408 | 409 | 413 | 415 | 422 | 429 | 431 | 500 | 503;

/** A code's one status and its one message, which every answer with that code carries. */
export interface ErrorEntry {
  readonly status: ErrorHttpStatus;
  readonly message: string;
}

/**
 * A feature's error codes, each with its status and its message. Every feature owns one such
 * table beside its error class; the table's keys are the feature's code enum, so a code that is
 * thrown without a status or a message, or by the wrong feature, fails the compiler. A throw
 * site that knows more (which role, which scope, what limit) says so in the answer's `detail`.
 */
export type ErrorTable = Readonly<Record<string, ErrorEntry>>;

/**
 * The codes of the request pipeline itself: framework errors by status, validation, storage, the
 * generic 404 and 429 that any feature may answer, the 503 of a server that is shutting down, and
 * the 503 of an admin console that was never built.
 */
export const COMMON_ERRORS = {
  BAD_REQUEST: { status: 400, message: 'Malformed request' },
  INVALID_TOKEN: { status: 401, message: 'Invalid token' },
  FORBIDDEN: { status: 403, message: 'Forbidden' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, message: 'Route not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  NOT_ACCEPTABLE: { status: 406, message: 'Not acceptable' },
  REQUEST_TIMEOUT: {
    status: 408,
    message: 'The request was not received in time: send it whole within the request timeout',
  },
  CONFLICT: { status: 409, message: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported media type' },
  VALIDATION_ERROR: { status: 422, message: 'Request validation failed' },
  INVALID_CURSOR: {
    status: 422,
    message: 'Invalid cursor: pass next_cursor from the previous page as it is',
  },
  // A Latchkey token, checksum and all, in a stored text field (a name, a reason, an email).
  SECRET_IN_TEXT: { status: 422, message: 'A token was found in a text field; nothing was stored' },
  RATE_LIMITED: { status: 429, message: 'Too many requests, retry later' },
  HEADERS_TOO_LARGE: { status: 431, message: 'Request headers are too large' },
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
  STORAGE_UNAVAILABLE: { status: 503, message: 'Storage is temporarily unavailable' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The server is shutting down; retry the request' },
  // /admin with no console build in CONSOLE_DIR: an installation step was missed, not a fault.
  CONSOLE_NOT_BUILT: {
    status: 503,
    message: 'The admin console is not built: run npm run build:console, then reload',
  },
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

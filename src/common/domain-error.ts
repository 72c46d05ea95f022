import { ERROR_STATUS, ErrorCode } from './error-codes';

export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

/**
 * The base of every error the API means to answer with. Features subclass it (TokenError,
 * TenancyError, AuthError) so a stack trace says where a rule lives; the exception filter only
 * needs the code, the status and the message.
 */
export class DomainError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { status?: number; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.status = options.status ?? ERROR_STATUS[code];
    this.headers = options.headers ?? {};
  }

  readonly headers: Record<string, string>;
}

/** A 422 whose detail is the FastAPI-style list of what was wrong, and where. */
export class RequestValidationError extends DomainError {
  constructor(
    readonly issues: ValidationIssue[],
    message = 'Request validation failed',
    code: 'VALIDATION_ERROR' | 'INVALID_CURSOR' = 'VALIDATION_ERROR',
  ) {
    super(code, message);
  }
}

/** The database, or a write that must commit with the change, is unavailable: retry later. */
export class StorageUnavailableError extends DomainError {
  constructor(message = 'Storage is temporarily unavailable', retryAfterSeconds = 5) {
    super('STORAGE_UNAVAILABLE', message, {
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

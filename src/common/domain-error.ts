import { COMMON_ERRORS, CommonErrorCode, ErrorHttpStatus } from './error-codes';

export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

/**
 * The base of every error the API means to answer with. Each feature subclasses it with its own
 * code table (TokenError, TenancyError, AuthError), so a feature throws only its own codes and a
 * stack trace says where the rule lives; the exception filter needs only code, status, message.
 */
export abstract class DomainError<C extends string = string> extends Error {
  /** For a 422 that names the field at fault: the detail list, as validation gives it. */
  issues?: ValidationIssue[];

  protected constructor(
    readonly code: C,
    readonly status: ErrorHttpStatus,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** `instanceof` on the generic class would narrow to `DomainError<any>`; every code is a string. */
export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** An error of the request pipeline itself, with one of the common codes. */
export class ApiError extends DomainError<CommonErrorCode> {
  constructor(code: CommonErrorCode, message: string, headers?: Record<string, string>) {
    super(code, COMMON_ERRORS[code], message, headers);
  }
}

/** A 422 whose detail is the FastAPI-style list of what was wrong, and where. */
export class RequestValidationError extends ApiError {
  constructor(
    override readonly issues: ValidationIssue[],
    message = 'Request validation failed',
    code: 'VALIDATION_ERROR' | 'INVALID_CURSOR' | 'SECRET_IN_TEXT' = 'VALIDATION_ERROR',
  ) {
    super(code, message);
  }
}

/** The database, or a write that must commit with the change, is unavailable: retry later. */
export class StorageUnavailableError extends ApiError {
  constructor(message = 'Storage is temporarily unavailable', retryAfterSeconds = 5) {
    super('STORAGE_UNAVAILABLE', message, { 'retry-after': String(retryAfterSeconds) });
  }
}

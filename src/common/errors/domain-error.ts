import { COMMON_ERRORS, CommonErrorCode, ErrorEntry, ErrorHttpStatus } from './error-codes';

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
 * stack trace says where the rule lives. The status and the message are the code's, from its
 * feature's table: one message per code. What a throw site knows beyond the code (which role,
 * which limit) is its `detail`, which the answer carries.
 */
export abstract class DomainError<C extends string = string> extends Error {
  /** For a 422 that names the field at fault: the detail list, as validation gives it. */
  issues?: ValidationIssue[];
  readonly status: ErrorHttpStatus;

  protected constructor(
    readonly code: C,
    entry: ErrorEntry,
    /** What this answer says beyond its code's message; the message itself when absent. */
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(entry.message);
    this.status = entry.status;
    this.name = new.target.name;
  }
}

/** `instanceof` on the generic class would narrow to `DomainError<any>`; every code is a string. */
export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** An error of the request pipeline itself, with one of the common codes. */
export class ApiError extends DomainError<CommonErrorCode> {
  constructor(code: CommonErrorCode, detail?: string, headers?: Record<string, string>) {
    super(code, COMMON_ERRORS[code], detail, headers);
  }
}

/** A 422 whose detail is the FastAPI-style list of what was wrong, and where. */
export class RequestValidationError extends ApiError {
  constructor(
    override readonly issues: ValidationIssue[],
    code: 'VALIDATION_ERROR' | 'INVALID_CURSOR' | 'SECRET_IN_TEXT' = 'VALIDATION_ERROR',
  ) {
    super(code);
  }
}

/** The database, or a write that must commit with the change, is unavailable: retry later. */
export class StorageUnavailableError extends ApiError {
  constructor(detail?: string, retryAfterSeconds = 5) {
    super('STORAGE_UNAVAILABLE', detail, { 'retry-after': String(retryAfterSeconds) });
  }
}

import { AUTH_ERRORS, AuthErrorCode } from '../auth/auth-error';
import { COMMON_ERRORS, CommonErrorCode, ErrorHttpStatus, ErrorTable } from '../common/error-codes';
import { TENANCY_ERRORS, TenancyErrorCode } from '../tenancy/tenancy-error';
import { TOKEN_ERRORS, TokenErrorCode } from '../tokens/token-error';

/** Every error code the API answers with: the union of the features' code enums. */
export type ErrorCode = CommonErrorCode | AuthErrorCode | TenancyErrorCode | TokenErrorCode;

/** The features' code tables, bottom layer first. */
export const ERROR_TABLES = [
  COMMON_ERRORS,
  AUTH_ERRORS,
  TENANCY_ERRORS,
  TOKEN_ERRORS,
] as const satisfies readonly ErrorTable[];

/**
 * Every code with every status it can carry. A code may carry two: INVALID_TOKEN is 401 as a
 * bearer (auth) and 422 as a body field of revoke by value (tokens). Its spec holds it equal to
 * the features' tables, and the error-catalog e2e spec holds every error answer of the OpenAPI
 * document to it.
 */
export const ERROR_STATUS: { readonly [C in ErrorCode]: readonly ErrorHttpStatus[] } =
  catalog(ERROR_TABLES);

function catalog(tables: readonly ErrorTable[]): Record<ErrorCode, ErrorHttpStatus[]> {
  const statuses: Partial<Record<ErrorCode, ErrorHttpStatus[]>> = {};
  for (const table of tables) {
    for (const [code, status] of Object.entries(table) as [ErrorCode, ErrorHttpStatus][]) {
      const known = (statuses[code] ??= []);
      if (!known.includes(status)) known.push(status);
    }
  }
  return statuses as Record<ErrorCode, ErrorHttpStatus[]>;
}

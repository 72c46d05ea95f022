import type {
  ErrorEntry,
  ErrorHttpStatus,
  ErrorTable,
} from '../../../src/common/errors/error-codes';
import { ERROR_TABLES, type ErrorCode } from '../../../src/docs/error-tables';

/**
 * For the tests: every code with every status it can carry. A code may carry two, as the design
 * says: INVALID_TOKEN is 401 as a bearer (auth) and 422 as a body field of revoke by value
 * (tokens). test/http/error-tables.e2e-spec.ts holds it equal to the features' tables, and the
 * error-catalog spec holds every error answer of the OpenAPI document to it.
 */
export const ERROR_STATUS: { readonly [C in ErrorCode]: readonly ErrorHttpStatus[] } =
  catalog(ERROR_TABLES);

function catalog(tables: readonly ErrorTable[]): Record<ErrorCode, ErrorHttpStatus[]> {
  const statuses: Partial<Record<ErrorCode, ErrorHttpStatus[]>> = {};
  for (const table of tables) {
    for (const [code, { status }] of Object.entries(table) as [ErrorCode, ErrorEntry][]) {
      const known = (statuses[code] ??= []);
      if (!known.includes(status)) known.push(status);
    }
  }
  return statuses as Record<ErrorCode, ErrorHttpStatus[]>;
}

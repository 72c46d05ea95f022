import { ERROR_TABLES, type ErrorCode } from './error-tables';

/** Every code's one message, from the features' tables: the example of a documented answer. */
const MESSAGES = new Map<string, string>(
  ERROR_TABLES.flatMap((table) =>
    Object.entries(table).map(([code, { message }]) => [code, message] as const),
  ),
);

/** What `detail` holds for a 422: where the request was wrong, FastAPI style. */
const VALIDATION_DETAIL: Partial<Record<ErrorCode, object[]>> = {
  VALIDATION_ERROR: [
    {
      loc: ['body', 'name'],
      msg: 'name must be shorter than or equal to 100 characters',
      type: 'value_error',
    },
  ],
  INVALID_CURSOR: [{ loc: ['query', 'cursor'], msg: 'Invalid cursor', type: 'value_error' }],
  POLICY_VIOLATION: [
    {
      loc: ['body', 'expires_in_days'],
      msg: 'max_lifetime_days: A token of this business lives at most 90 days: expire it by 2026-03-01T00:00:00.000Z',
      type: 'policy_violation',
      ctx: { rule: 'max_lifetime_days' },
    },
  ],
};

const EXAMPLE_REQUEST_ID = '3f2c1d7e-8a7b-4b7e-9d55-2b0c3f1e9a10';

/** The error body the API answers with `code` under `status`; null for a code it does not know. */
export function errorExample(
  status: number,
  code: string,
  issue?: object,
): Record<string, unknown> | null {
  const message = MESSAGES.get(code);
  if (message === undefined) return null;
  const detail =
    (status === 422 && code === 'VALIDATION_ERROR' && issue && [issue]) ||
    (status === 422 && VALIDATION_DETAIL[code as ErrorCode]) ||
    message;
  return { success: false, message, code, detail, request_id: EXAMPLE_REQUEST_ID };
}

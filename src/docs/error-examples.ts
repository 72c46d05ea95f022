import { AUTH_ERRORS } from '../auth/auth-error';
import { COMMON_ERRORS } from '../common/error-codes';
import { TENANCY_ERRORS } from '../tenancy/tenancy-error';
import { TOKEN_ERRORS } from '../tokens/token-error';

type Code =
  | keyof typeof COMMON_ERRORS
  | keyof typeof AUTH_ERRORS
  | keyof typeof TENANCY_ERRORS
  | keyof typeof TOKEN_ERRORS;

/**
 * A message the API really answers with, for every code: the example of a documented error
 * answer is its first code's. Keyed by the features' code enums, so a new code without an
 * example fails the compiler. A code with two statuses (INVALID_TOKEN: 401 as a bearer, 422 as
 * a body field) has one message per status.
 */
const MESSAGES: Record<Code, string | Partial<Record<number, string>>> = {
  BAD_REQUEST: 'Malformed JSON body',
  INVALID_TOKEN: { 401: 'Invalid token', 422: 'invalid token' },
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  ROUTE_NOT_FOUND: 'Route not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  NOT_ACCEPTABLE: 'Not acceptable',
  REQUEST_TIMEOUT: 'The request was not received in time: send it whole within the request timeout',
  CONFLICT: 'Conflict',
  PAYLOAD_TOO_LARGE: 'Request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  VALIDATION_ERROR: 'Request validation failed',
  INVALID_CURSOR: 'Invalid cursor: pass next_cursor from the previous page as it is',
  SECRET_IN_TEXT: 'A token was found in a text field; nothing was stored',
  RATE_LIMITED: 'Too many requests, retry later',
  HEADERS_TOO_LARGE: 'Request headers are too large',
  INTERNAL_ERROR: 'Internal server error',
  STORAGE_UNAVAILABLE: 'Storage is temporarily unavailable',
  SERVICE_UNAVAILABLE: 'The server is shutting down; retry the request',
  TOKEN_EXPIRED: 'Token has expired',
  TOKEN_REVOKED: 'Token has been revoked',
  BUSINESS_MISMATCH: 'The token was not issued for this business',
  BUSINESS_SUSPENDED: 'This business is suspended',
  TOKEN_RETIRING:
    'This token is in its rotation grace period: use its successor (it may still revoke itself)',
  TOKEN_LIMIT_REACHED: 'This identity holds 100 active tokens, the most allowed: revoke one first',
  EXPIRY_EXCEEDS_MAKER:
    'A token may not outlive the token that makes it, which expires at 2027-01-01T00:00:00.000Z',
  INSUFFICIENT_ROLE: 'This action needs the admin role',
  INSUFFICIENT_SCOPE: 'This token lacks the tokens:admin scope',
  PLATFORM_ADMIN_REQUIRED: 'A platform admin token is required',
  NOT_TOKEN_HOLDER:
    "A person's token is issued or rotated only by that person, and a platform token never " +
    "receives a person's secret",
  BUSINESS_NOT_FOUND: 'Business not found',
  MEMBER_NOT_FOUND: 'Member not found',
  IDENTITY_NOT_FOUND: 'No machine identity with this id in the business',
  LAST_OWNER: 'The last owner of a business cannot be removed or demoted',
  LAST_PLATFORM_ADMIN: 'The last platform admin cannot be removed',
  MEMBER_EXISTS: 'This person is already a member of the business',
  IDENTITY_EXISTS: 'This person is already a platform admin',
  SCOPE_ESCALATION: 'The new token would hold more than its creator may grant',
  TOKEN_NOT_FOUND: 'Token not found',
  TOKEN_NOT_ACTIVE: 'Only an active token can be rotated',
  TOKEN_ALREADY_ROTATED: 'This token has been rotated already: use its successor',
};

/** What `detail` holds for a 422: where the request was wrong, FastAPI style. */
const VALIDATION_DETAIL: Partial<Record<Code, object[]>> = {
  VALIDATION_ERROR: [
    {
      loc: ['body', 'name'],
      msg: 'name must be shorter than or equal to 100 characters',
      type: 'value_error',
    },
  ],
  INVALID_CURSOR: [{ loc: ['query', 'cursor'], msg: 'Invalid cursor', type: 'value_error' }],
};

const EXAMPLE_REQUEST_ID = '3f2c1d7e-8a7b-4b7e-9d55-2b0c3f1e9a10';

/** The error body the API answers with `code` under `status`; null for a code it does not know. */
export function errorExample(status: number, code: string): Record<string, unknown> | null {
  const entry = MESSAGES[code as Code] as string | Partial<Record<number, string>> | undefined;
  const message = typeof entry === 'string' ? entry : entry?.[status];
  if (message === undefined) return null;
  const detail = (status === 422 && VALIDATION_DETAIL[code as Code]) || message;
  return { success: false, message, code, detail, request_id: EXAMPLE_REQUEST_ID };
}

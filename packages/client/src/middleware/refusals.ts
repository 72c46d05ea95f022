/** The error body the middlewares answer with: Latchkey's own shape and codes. */
export interface LatchkeyErrorBody {
  success: false;
  message: string;
  code: string;
  detail: null;
  request_id: null;
}

/** A refusal as the app answers it. */
export interface LatchkeyRefusal {
  status: 401 | 403 | 429 | 500 | 503;
  headers: Readonly<Record<string, string>>;
  body: LatchkeyErrorBody;
}

/**
 * Every code a middleware answers, its status and its message: the table of docs/clients.md,
 * which the Python client's WSGI middleware answers word for word. Latchkey's own codes keep
 * Latchkey's messages; the last two are the app's, about Latchkey rather than the token.
 */
export const MIDDLEWARE_ERRORS = {
  INVALID_TOKEN: [401, 'Invalid token'],
  TOKEN_EXPIRED: [401, 'Token has expired'],
  TOKEN_REVOKED: [401, 'Token has been revoked'],
  TOKEN_DISABLED: [401, 'Token has been disabled'],
  BUSINESS_MISMATCH: [403, 'The token was not issued for this business'],
  BUSINESS_SUSPENDED: [403, 'This business is suspended'],
  INSUFFICIENT_SCOPE: [403, 'This token lacks the scope for this action'],
  IP_NOT_ALLOWED: [403, 'This token may not be used from this address'],
  FORBIDDEN: [403, 'Forbidden'],
  RATE_LIMITED: [429, 'Too many requests, retry later'],
  USES_EXHAUSTED: [429, 'This token has no uses left'],
  LATCHKEY_MISCONFIGURED: [500, 'Tokens cannot be checked: this service is misconfigured'],
  LATCHKEY_UNAVAILABLE: [503, 'Tokens cannot be checked now; retry the request'],
} as const satisfies Record<string, readonly [LatchkeyRefusal['status'], string]>;

export type MiddlewareErrorCode = keyof typeof MIDDLEWARE_ERRORS;

/** How long an app tells its caller to wait while Latchkey cannot be reached. */
export const UNAVAILABLE_RETRY_SECONDS = 5;

/** Whether Latchkey's code is one the middlewares answer as it is: a 4xx of the table. */
export function isRefusalCode(code: string | undefined): code is MiddlewareErrorCode {
  return (
    code !== undefined &&
    Object.hasOwn(MIDDLEWARE_ERRORS, code) &&
    MIDDLEWARE_ERRORS[code as MiddlewareErrorCode][0] < 500
  );
}

const made = new Map<string, LatchkeyRefusal>();

/** One frozen refusal per code and headers: answering one allocates nothing. */
export function refusal(
  code: MiddlewareErrorCode,
  extra: Record<string, string> = {},
): LatchkeyRefusal {
  const key = `${code} ${JSON.stringify(extra)}`;
  const known = made.get(key);
  if (known !== undefined) return known;
  const [status, message] = MIDDLEWARE_ERRORS[code];
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (status === 401) headers['www-authenticate'] = 'Bearer error="invalid_token"';
  Object.assign(headers, extra);
  const answer: LatchkeyRefusal = Object.freeze({
    status,
    headers: Object.freeze(headers),
    body: Object.freeze({ success: false, message, code, detail: null, request_id: null }),
  });
  if (made.size < 64) made.set(key, answer);
  return answer;
}

export const UNAVAILABLE = refusal('LATCHKEY_UNAVAILABLE', {
  'retry-after': `${UNAVAILABLE_RETRY_SECONDS}`,
});
export const MISCONFIGURED = refusal('LATCHKEY_MISCONFIGURED');

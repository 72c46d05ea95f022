import { HttpException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { codeForStatus } from './error-codes';
import { isDomainError, RequestValidationError, ValidationIssue } from './domain-error';

export interface ErrorBody {
  success: false;
  message: string;
  code: string;
  detail: string | ValidationIssue[];
  request_id: string | null;
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
  /** True when the cause is a fault of ours, which is logged; a 4xx is the caller's. */
  unexpected: boolean;
}

// Error codes of drivers and sockets that mean "the database cannot be reached right now".
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57014', // query_canceled: statement_timeout fired (or a cancel request)
  '25P03', // idle_in_transaction_session_timeout ended the session
  '53300', // too_many_connections
  '40P01', // deadlock_detected: the transaction was rolled back and may be retried
  '40001', // serialization_failure
]);

// Messages of node-postgres and pg-pool that carry no code: a connection that dropped or timed
// out while connecting, a pool with no free connection in time, a query with no answer within
// DB_QUERY_TIMEOUT_MS, and a client used after its connection failed.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|is not queryable/i;

function isStorageUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; driverError?: unknown; message?: unknown };
  if (typeof e.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) {
    return true;
  }
  // TypeORM releases a query runner whose connection failed; the next statement of the same
  // unit of work then meets the released runner (or, through its manager, its released
  // provider) instead of the connection error.
  if (
    err instanceof QueryRunnerAlreadyReleasedError ||
    err instanceof QueryRunnerProviderAlreadyReleasedError
  ) {
    return true;
  }
  if (e.driverError && e.driverError !== err) return isStorageUnavailable(e.driverError);
  return typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message);
}

function fromStatus(
  status: number,
  message: string,
  requestId: string | null,
  headers: Record<string, string> = {},
): ErrorResponse {
  const code = codeForStatus(status);
  return {
    status,
    headers,
    body: { success: false, message, code, detail: message, request_id: requestId },
    unexpected: status >= 500,
  };
}

/**
 * Maps anything thrown while serving a request to the public error shape. It is the one place
 * that decides what a caller may learn from a failure: a 500 says nothing of its cause.
 */
export function toErrorResponse(err: unknown, requestId: string | null): ErrorResponse {
  if (err instanceof RequestValidationError) {
    return {
      status: err.status,
      headers: err.headers,
      body: {
        success: false,
        message: err.message,
        code: err.code,
        detail: err.issues,
        request_id: requestId,
      },
      unexpected: false,
    };
  }
  if (isDomainError(err)) {
    return {
      status: err.status,
      headers: err.headers,
      body: {
        success: false,
        message: err.message,
        code: err.code,
        detail: err.issues ?? err.detail ?? err.message,
        request_id: requestId,
      },
      unexpected: err.status >= 500 && err.code !== 'STORAGE_UNAVAILABLE',
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    let message = err.message;
    if (typeof response === 'object' && response && 'message' in response) {
      const m: unknown = response.message;
      if (typeof m === 'string') message = m;
    }
    if (status === 404 && /^Cannot [A-Z]+ /.test(message)) {
      const r = fromStatus(404, 'Route not found', requestId);
      r.body.code = 'ROUTE_NOT_FOUND';
      return r;
    }
    if (status === 429) {
      // A bare ThrottlerException (the library's guard used directly) carries no wait of its
      // own: the whole window is the honest upper bound. Our guards throw RateLimitedError.
      return fromStatus(429, 'Too many requests, retry later', requestId, {
        'retry-after': '60',
      });
    }
    return fromStatus(status, status >= 500 ? 'Internal server error' : message, requestId);
  }
  if (isStorageUnavailable(err)) {
    return fromStatus(503, 'Storage is temporarily unavailable', requestId, {
      'retry-after': '5',
    });
  }
  // Fastify's own errors (body parsing, content type, URL escapes) carry a 4xx statusCode.
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const fastifyCode = (err as { code?: unknown }).code;
    let message = err instanceof Error ? err.message : 'Bad request';
    if (err instanceof SyntaxError || fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      message = 'Malformed JSON body';
    } else if (fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      message = "Body cannot be empty when content-type is set to 'application/json'";
    }
    return fromStatus(statusCode, message, requestId);
  }
  return fromStatus(500, 'Internal server error', requestId);
}

/**
 * On `/oauth2/*`, every error is answered in the RFCs' own shape, `{error, error_description}`
 * (RFC 6749 §5.2, which RFC 7009 and RFC 7662 use), not in the envelope: a body that fails to
 * parse, one too large or of a type the route does not take, a bearer refused. The status and
 * headers (`WWW-Authenticate`, `Retry-After`) stay as they are.
 */
export function forOAuthRoute(
  response: ErrorResponse,
  url: string | undefined,
): Omit<ErrorResponse, 'body'> & { body: unknown } {
  // 429 keeps the API's error shape everywhere, /oauth2/* included (the design's rule).
  if (!url?.startsWith('/oauth2/') || response.status === 429) return response;
  return {
    ...response,
    headers: { ...response.headers, 'cache-control': 'no-store' },
    body: {
      error: oauthErrorCode(response.status, response.body.code),
      error_description: response.body.message,
    },
  };
}

/**
 * The RFC's error code: RFC 6750 §3.1 for the bearer of /oauth2/introspect (`invalid_token`,
 * `insufficient_scope`), RFC 6749 §4.1.2.1 for the rest (`access_denied`, `server_error`,
 * `temporarily_unavailable`). A body the server cannot take (malformed, too large, of another
 * type, invalid) is the client's `invalid_request`.
 */
function oauthErrorCode(status: number, code: string | null): string {
  if (status === 401) return 'invalid_token';
  if (status === 403) return code === 'INSUFFICIENT_SCOPE' ? 'insufficient_scope' : 'access_denied';
  if (status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'server_error';
  return 'invalid_request';
}

const RAW_MESSAGES = {
  400: 'Malformed request',
  408: 'The request was not received in time: send it whole within the request timeout',
  431: 'Request headers or URL too large',
} as const;

/**
 * A raw HTTP answer in the error shape, for errors Node's parser meets before any request
 * exists (headers past 16 KiB: 431; a malformed request line: 400). The connection closes.
 */
export function rawErrorResponse(status: 400 | 408 | 431, rawPacket?: Buffer): string {
  const message = RAW_MESSAGES[status];
  // The request line of what arrived, when there is one: /oauth2/* answers in the RFCs' shape.
  const oauth = rawPacket ? /^[A-Z]+ \/oauth2\//.test(rawPacket.subarray(0, 32).toString()) : false;
  const body = JSON.stringify(
    oauth
      ? { error: 'invalid_request', error_description: message }
      : {
          success: false,
          message,
          code: codeForStatus(status),
          detail: message,
          // No request was parsed, so none has an id yet: this answer gets one of its own.
          request_id: randomUUID(),
        },
  );
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    (oauth ? 'Cache-Control: no-store\r\n' : '') +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

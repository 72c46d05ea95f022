/** A validation problem of a 422, FastAPI style. */
export interface ErrorDetailItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** Every failed answer: the API's error envelope, or what the console made of a non-answer. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
    readonly requestId: string | null,
    readonly detail: string | ErrorDetailItem[] | null = null,
  ) {
    super(message);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** The API's error body `{success:false, message, code, detail, request_id}` as an ApiError. */
export function apiErrorOf(body: unknown, response: Response): ApiError {
  const requestId = response.headers.get('x-request-id');
  if (isRecord(body) && typeof body.message === 'string') {
    const detail = Array.isArray(body.detail)
      ? (body.detail as ErrorDetailItem[])
      : typeof body.detail === 'string'
        ? body.detail
        : null;
    return new ApiError(
      response.status,
      body.message,
      typeof body.code === 'string' ? body.code : null,
      typeof body.request_id === 'string' ? body.request_id : requestId,
      detail,
    );
  }
  const text = typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 200) : '';
  return new ApiError(
    response.status,
    text || `The server answered ${response.status} ${response.statusText}`.trim(),
    null,
    requestId,
  );
}

/** A fetch that never reached the server. */
export function networkError(cause: unknown): ApiError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new ApiError(0, `Could not reach the server (${why})`, 'NETWORK_ERROR', null);
}

export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error) return new ApiError(0, error.message, null, null);
  return new ApiError(0, String(error), null, null);
}

/**
 * What a failed answer says about one body field (`loc: ["body", field, …]`): the messages of a
 * 422, or of a 403 WIDENING_NOT_ALLOWED, which names each field that would widen; null for none.
 */
export function fieldError(error: unknown, field: string): string | null {
  if (!(error instanceof ApiError) || !Array.isArray(error.detail)) return null;
  const msgs = error.detail
    .filter((d) => d.loc[0] === 'body' && d.loc[1] === field)
    .map((d) => d.msg);
  return msgs.length > 0 ? msgs.join(' ') : null;
}

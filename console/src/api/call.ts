import { ApiError, apiErrorOf, networkError } from './errors';

/** What every openapi-fetch call answers. */
interface FetchResult<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

async function settle<D>(request: Promise<FetchResult<D>>): Promise<D> {
  let result: FetchResult<D>;
  try {
    result = await request;
  } catch (cause) {
    throw networkError(cause);
  }
  const { data, error, response } = result;
  if (!response.ok || error !== undefined) throw apiErrorOf(error, response);
  if (data === undefined) {
    throw new ApiError(response.status, 'The server answered with no body', null, null);
  }
  return data;
}

/** The success envelope `{success, message, code, data}` of a typed call; throws an ApiError. */
export function envelope<E extends { data: unknown }>(
  request: Promise<FetchResult<E>>,
): Promise<E> {
  return settle(request);
}

/** The `data` of a typed call's envelope; throws an ApiError. */
export async function unwrap<E extends { data: unknown }>(
  request: Promise<FetchResult<E>>,
): Promise<E['data']> {
  return (await settle(request)).data;
}

/** The body of a call made with `parseAs: 'text'` or `'blob'`; throws an ApiError. */
export function body<D>(request: Promise<FetchResult<D>>): Promise<D> {
  return settle(request);
}

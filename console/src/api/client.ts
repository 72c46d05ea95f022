import { createLatchkeyClient, type LatchkeyClient } from '../../../packages/client/src/index';
import { ApiError, apiErrorOf, networkError } from './errors';

export type { components } from '../../../packages/client/src/index';
export type { LatchkeyClient };

/** The API is served from the console's own origin. */
export const baseUrl = (): string => window.location.origin;

/**
 * Every call the console makes says it is the console's, so that the server counts it apart from
 * the signed-in token's API traffic (a token's usage shows `console_requests`).
 */
const CONSOLE_CLIENT = ['x-latchkey-client', 'console'] as const;

export function clientFor(token: string, businessId?: string): LatchkeyClient {
  const client = createLatchkeyClient(baseUrl(), businessId ? { token, businessId } : { token });
  client.use({
    onRequest({ request }) {
      request.headers.set(...CONSOLE_CLIENT);
      return request;
    },
  });
  return client;
}

export interface Credentials {
  token: string;
  businessId?: string;
}

function headersOf(credentials: Credentials | null, json: boolean): Headers {
  const headers = new Headers({ accept: 'application/json' });
  if (credentials) headers.set('authorization', `Bearer ${credentials.token}`);
  if (credentials?.businessId) headers.set('x-business-id', credentials.businessId);
  if (json) headers.set('content-type', 'application/json');
  headers.set(...CONSOLE_CLIENT);
  return headers;
}

/**
 * A call to a path known only at run time (a refused screen's probe, see NotAvailable), or to a
 * public route (null credentials: sign-in), outside the typed client, which always sends a
 * token; answers the envelope's `data`, typed by the caller.
 */
export async function rawJson<T>(
  path: string,
  credentials: Credentials | null,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(baseUrl() + path, {
      method: init.method ?? 'GET',
      headers: headersOf(credentials, init.body !== undefined),
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: 'same-origin',
    });
  } catch (cause) {
    throw networkError(cause);
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported as text below
  }
  if (!response.ok) throw apiErrorOf(parsed, response);
  if (typeof parsed !== 'object' || parsed === null || !('data' in parsed)) {
    throw new ApiError(
      response.status,
      'The server answered something that is not JSON',
      null,
      null,
    );
  }
  return (parsed as { data: T }).data;
}

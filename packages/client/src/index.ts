import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';

export type { components, operations, paths } from './schema';

export interface LatchkeyClientOptions {
  /** An API token (`lk_…`), sent as `Authorization: Bearer <token>` on every request. */
  token: string;
  /** The business (uuid) that the `/api/v1` routes act in, sent as `x-business-id`. */
  businessId?: string;
}

export type LatchkeyClient = Client<paths>;

/**
 * A typed client for the Latchkey API at `baseUrl` (e.g. `http://127.0.0.1:3000`): paths, bodies,
 * query parameters and every documented status's body are typed from the OpenAPI document.
 */
export function createLatchkeyClient(
  baseUrl: string,
  { token, businessId }: LatchkeyClientOptions,
): LatchkeyClient {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  // Platform routes ignore the header, so a client made for one business may call them too.
  if (businessId !== undefined) headers['x-business-id'] = businessId;
  return createClient<paths>({ baseUrl, headers });
}

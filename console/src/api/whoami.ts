import { unwrap } from './call';
import { clientFor } from './client';
import type { Whoami } from './types';

/** GET /api/v1/whoami (no x-business-id): who the token is, and where it may act. */
export function fetchWhoami(token: string): Promise<Whoami> {
  return unwrap(clientFor(token).GET('/api/v1/whoami'));
}

import type { CallerToken } from '../../auth/request-context';
import type { ApiToken } from '../store/entities/api-token.entity';

/**
 * The caller's token as the verifier hands it to the guards: auth's `CallerToken`, with the row
 * it was read from (at most one cache TTL old), so `GET /me` answers without reading it again.
 */
export interface VerifiedToken extends CallerToken {
  row: Readonly<ApiToken>;
}

/** Whether the caller's token came from the verifier with its row. */
export function isVerifiedToken(token: CallerToken): token is VerifiedToken {
  return (token as Partial<VerifiedToken>).row !== undefined;
}

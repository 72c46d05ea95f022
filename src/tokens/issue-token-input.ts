import type { TokenOrigin } from './api-token.entity';
import type { TokenConstraints } from './token-constraints';

/** What `TokenIssuanceService.issue` makes a token of, before the business's policy is applied. */
export interface IssueTokenInput {
  businessId: string | null;
  identityId: string;
  name: string;
  scopes: string[] | null;
  expiresAt: Date | null;
  /** Where and how often it may be used, capped by the caller before it gets here; absent: none. */
  constraints?: TokenConstraints;
  rotatedFromId?: string | null;
  /** A token this one replaces in the same transaction (a rotation with no grace period). */
  replaces?: string;
  /** The new token's id, when the caller had to know it first (a rotation claims it). */
  id?: string;
  /** The caller's own data about the token, already validated; absent: none. */
  meta?: object | null;
  /** `federation` for the RFC 8693 exchange's token; absent: an ordinary token. */
  origin?: TokenOrigin;
  /**
   * Where the caller asked for `expiresAt` (its loc), so a business policy's maximum refuses it
   * rather than shortening it; absent: a default, which the maximum shortens.
   */
  expiryAskedAt?: (string | number)[] | null;
}

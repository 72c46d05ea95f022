/** What `EdgeVerifier.verify` is asked, and what it answers. */

export interface EdgeVerifyOptions {
  /** The business (uuid) the token must be of: a platform token, or another business's, is refused. */
  businessId?: string;
  /** Scopes the token must all allow (`a:*` covers every `a:…`), as `X-Latchkey-Require-Scope`. */
  requireScopes?: readonly string[];
  /**
   * The address (IPv4 or IPv6) of the caller who presented the token, as your framework determined
   * it, never a header that caller wrote. Sent as `X-Forwarded-For` on each call, so Latchkey
   * matches a token's `allowed_cidrs` against the caller rather than your service; Latchkey must
   * trust your service's address as a proxy (`TRUST_PROXY`) for it to count. A token the list
   * decides is answered whatever the address.
   */
  clientAddress?: string;
  /**
   * The business's shared limit this check counts against (`X-Latchkey-Limit`), in place of
   * `default`. Only a caller Latchkey trusts as a gateway may name one (give the verifier
   * `gatewaySecret`); a check that names one is asked online every time, as Latchkey counts it.
   */
  limit?: string;
}

/** What Latchkey states of a token: shared by a pass and by the claims of a 204 it is made from. */
export interface EdgeTokenClaims {
  tokenId: string;
  /** Null for a platform token. */
  businessId: string | null;
  identityId: string;
  identityType: 'user' | 'machine';
  /** Null: unrestricted within the holder's role. Otherwise what the holder holds (role applied). */
  scopes: readonly string[] | null;
  expiresAt: Date | null;
  /** The token's `meta` (a JSON object its maker set, frozen), or null when it has none. */
  meta: Readonly<Record<string, unknown>> | null;
}

export interface EdgeVerified extends EdgeTokenClaims {
  valid: true;
  /** `online`: Latchkey answered this check; `list`: this process did, from its status list. */
  source: 'online' | 'list';
}

/**
 * Why a token was not passed. `misconfigured` is about this service, not the token: Latchkey
 * refused the check itself (403 `GATEWAY_NOT_TRUSTED`: a missing or wrong `gatewaySecret`, or a
 * `limit` named without it; 422: a requirement it does not take), or nothing at `baseUrl` answers
 * `/auth/verify` (404). `unreachable` is an outage: no answer, a timeout, a 5xx.
 */
export type EdgeRefusalReason =
  | 'invalid'
  | 'revoked'
  | 'suspended'
  | 'expired'
  | 'unreachable'
  | 'misconfigured'
  | 'forbidden'
  | 'rate_limited';

export interface EdgeRefused {
  valid: false;
  reason: EdgeRefusalReason;
  /** The HTTP status Latchkey answered this check with, when it was asked and answered. */
  status?: number;
  /**
   * Latchkey's error code, when it said one (`TOKEN_REVOKED`, `IP_NOT_ALLOWED`, …), or the one a
   * refusal from memory stands for (`BUSINESS_MISMATCH`, `INSUFFICIENT_SCOPE`).
   */
  code?: string;
  /** With `rate_limited`: Latchkey's `Retry-After`, in seconds. */
  retryAfter?: number;
}

export type EdgeVerifyResult = EdgeVerified | EdgeRefused;

/**
 * What `EdgeVerifier.check()` found of this service's setup: Latchkey answers at `baseUrl` and
 * takes its checks, or why not (with Latchkey's status and code when it answered).
 */
export type EdgeSetupCheck =
  | { ok: true }
  | { ok: false; reason: 'misconfigured' | 'unreachable'; status?: number; code?: string };

/** The refusals answered from memory: one frozen object each, so answering allocates nothing. */
const refusal = (reason: EdgeRefusalReason, code?: string): EdgeRefused =>
  Object.freeze(code === undefined ? { valid: false, reason } : { valid: false, reason, code });
export const INVALID = refusal('invalid');
export const REVOKED = refusal('revoked');
export const EXPIRED = refusal('expired');
export const SUSPENDED = refusal('suspended');
export const FORBIDDEN = refusal('forbidden');
/** The token is of another business (or a platform token) than the one asked for. */
export const OTHER_BUSINESS = refusal('forbidden', 'BUSINESS_MISMATCH');
/** The token does not allow a scope asked for. */
export const SCOPE_NOT_HELD = refusal('forbidden', 'INSUFFICIENT_SCOPE');
export const UNREACHABLE = refusal('unreachable');

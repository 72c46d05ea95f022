/**
 * The most a caller can store, field by field: the DTOs refuse more with 422, and the database
 * refuses more on every other path (`migrations/1764200000000-byte-budget.ts`). Lengths are in
 * characters (code points), so at most four bytes each.
 */
export const LIMITS = {
  tokenName: 100,
  scope: 128,
  scopes: 50,
  reason: 500,
  email: 254,
  businessName: 200,
  machineName: 100,
} as const;

/** The longest `scopes` JSON a token can hold: 50 quoted scopes of 128, commas and brackets. */
export const SCOPES_JSON_MAX = LIMITS.scopes * (LIMITS.scope + 3) + 1;

/** A token's `allowed_cidrs`: at most 20 networks, each at most `MAX_CIDR_LENGTH` (49). */
export const ALLOWED_CIDRS_MAX = 20;
export const ALLOWED_CIDRS_JSON_MAX = ALLOWED_CIDRS_MAX * (49 + 3) + 1;
/** A token's `audiences`: at most 5 resource URIs (RFC 8707), each at most 256 characters. */
export const AUDIENCES_MAX = 5;
export const AUDIENCE_LENGTH_MAX = 256;
export const AUDIENCES_JSON_MAX = AUDIENCES_MAX * (AUDIENCE_LENGTH_MAX + 3) + 1;
/** A token's own `rate_limit_per_minute`: from 1 to a million. */
export const RATE_LIMIT_PER_MINUTE_MAX = 1_000_000;
/** A business token policy's days (a lifetime, a disuse): at most ten years. */
export const POLICY_DAYS_MAX = 3650;
/**
 * The shortest disuse a policy revokes for: its notice goes out 7 days before, so a token is
 * unused for at least a day before it is told.
 */
export const POLICY_INACTIVITY_DAYS_MIN = 8;

/**
 * The longest audit `metadata` JSON. The largest legitimate one is a token's creation with 50
 * scopes of 128 (under 7 KB), or an operation listing up to `AUDIT_LISTED_IDS_MAX` token ids.
 */
export const AUDIT_METADATA_MAX = 64 * 1024;

/** An operation's audit event lists at most this many token ids; each token has its own event. */
export const AUDIT_LISTED_IDS_MAX = 1000;

/**
 * An operation's event lists the token ids it revoked, up to AUDIT_LISTED_IDS_MAX, so that one
 * event stays within the metadata's byte budget however many tokens it took; each token also
 * has its own `token.revoked` event, so the full list is always in the log.
 */
export function listedIds(key: string, ids: readonly string[]): Record<string, unknown> {
  if (ids.length <= AUDIT_LISTED_IDS_MAX) return { [key]: ids };
  return { [key]: ids.slice(0, AUDIT_LISTED_IDS_MAX), [`${key}_truncated`]: true };
}

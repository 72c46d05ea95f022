import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { RefillInterval } from '../../../common/refill-period';

/** A JSON object, as `meta` holds it (TypeORM's partial types cannot take a recursive one). */
export type JsonObject = Record<string, unknown>;
/** How often a token's uses are refilled, at the start of each UTC day or month. */
export type { RefillInterval };
/** A token's origin, when it has one: see `ApiToken.origin`. */
export type TokenOrigin = 'federation' | 'import' | 'console-sso' | 'oauth';

/** An API token. Only the SHA-256 of its secret is kept; the secret is shown once. */
@Entity({ name: 'api_tokens' })
export class ApiToken {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** Public, non-secret identifier, used in audit entries and revocation messages. */
  @Column({ type: 'varchar', length: 32 })
  jti!: string;

  /** Null only for a platform admin's platform token. */
  @Column({ type: 'uuid', nullable: true })
  businessId!: string | null;

  @Column({ type: 'uuid' })
  identityId!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** Null is unrestricted within the identity's role; a list narrows the token. */
  @Column({ type: 'simple-json', nullable: true })
  scopes!: string[] | null;

  @Column({ type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ type: 'varchar', length: 32 })
  preview!: string;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 340 })
  createdBy!: string;

  /** The identity that made the token; null when the system or the CLI made it. */
  @Column({ type: 'uuid', nullable: true })
  createdById!: string | null;

  @Column({ type: Date, nullable: true })
  expiresAt!: Date | null;

  @Column({ type: Date, nullable: true })
  lastUsedAt!: Date | null;

  @Column({ type: Date, nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'varchar', length: 340, nullable: true })
  revokedBy!: string | null;

  @Column({ type: 'uuid', nullable: true })
  revokedById!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  revocationReason!: string | null;

  @Column({ type: 'uuid', nullable: true })
  rotatedFromId!: string | null;

  /**
   * The token this one descends from: the token whose request made it, or, for a successor, the
   * token it replaced (`rotatedFromId`). Null when a shell, the system or an exchange made it, or
   * it was made before parents were recorded. Pausing with children walks it down.
   */
  @Column({ type: 'uuid', nullable: true })
  parentTokenId!: string | null;

  /**
   * The RFC 7638 thumbprint of the key it is bound to (RFC 9449, DPoP): every use must come with
   * a fresh proof signed by that key. Null: a bearer token.
   */
  @Column({ type: 'varchar', length: 43, nullable: true })
  dpopJkt!: string | null;

  /**
   * The resources (canonical RFC 8707 URIs) the token may be used at: a gateway names its own
   * (`X-Latchkey-Resource`), and the API is `PUBLIC_BASE_URL`. Null: anywhere.
   */
  @Column({ type: 'simple-json', nullable: true })
  audiences!: string[] | null;

  /** The networks (canonical CIDRs) the token may be used from; null is anywhere. */
  @Column({ type: 'simple-json', nullable: true })
  allowedCidrs!: string[] | null;

  /** Requests per minute this token may make, beside its identity's limit; null is none. */
  @Column({ type: 'integer', nullable: true })
  rateLimitPerMinute!: number | null;

  /**
   * The window this token's requests are also counted in: its limited maker's (`sharedLimitId`,
   * that maker's id or the window it shares, and its limit), so the tokens a limited token makes
   * or rotates to share its minute rather than each opening a fresh one. Null for both: none.
   */
  @Column({ type: 'uuid', nullable: true })
  sharedLimitId!: string | null;

  @Column({ type: 'integer', nullable: true })
  sharedLimitPerMinute!: number | null;

  /** The successor, once rotated; set by one conditional UPDATE, so there is at most one. */
  @Column({ type: 'uuid', nullable: true })
  rotatedToId!: string | null;

  /** When a secret scanner first reported it found in public; set once, by a conditional UPDATE. */
  @Column({ type: Date, nullable: true })
  leakReportedAt!: Date | null;

  /** When the token was paused (disabled): it speaks again once enabled. Null: not paused. */
  @Column({ type: Date, nullable: true })
  disabledAt!: Date | null;

  @Column({ type: 'varchar', length: 340, nullable: true })
  disabledBy!: string | null;

  @Column({ type: 'uuid', nullable: true })
  disabledById!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  disabledReason!: string | null;

  /** The caller's own JSON object about the token (at most 4 KiB); never written to a log line. */
  @Column({ type: 'simple-json', nullable: true })
  meta!: object | null;
  /**
   * How it came to be when not by a caller's request or the CLI: `federation` for a token the
   * RFC 8693 exchange made for a workload's JWT (it makes no token, `token-policy.ts`); `import`
   * for a key brought from another service by its hash (its secret was never Latchkey's, so it
   * need not have Latchkey's shape: `imported-keys.ts`); `console-sso` for a console session a
   * sign-in through the installation's identity provider made (src/sso); `oauth` for an access
   * token of the authorization code flow (src/authorization/grants). Null for every other.
   */
  @Column({ type: 'varchar', length: 16, nullable: true })
  origin!: TokenOrigin | null;

  /** How many uses the token may make (per refill period, with a refill); null: no limit. */
  @Column({ type: 'integer', nullable: true })
  usesLimit!: number | null;

  /**
   * The uses left in `usesPeriod`, as stored: never above what is really left, and behind the
   * live count by at most a second (`token-uses-ledger.ts`). Null with no limit.
   */
  @Column({ type: 'integer', nullable: true })
  usesRemaining!: number | null;

  /**
   * The token's place in a Token Status List of its business (`src/tokens/status/`): the list,
   * and the index whose bits say valid, invalid or suspended. Handed out once, never reused.
   */
  @Column({ type: 'uuid', nullable: true })
  statusListId!: string | null;

  @Column({ type: 'integer', nullable: true })
  statusIndex!: number | null;

  /** The refill period (`usesPeriodOf`) that `usesRemaining` counts in; 0 without a refill. */
  @Column({ type: 'integer', nullable: true })
  usesPeriod!: number | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  refillInterval!: RefillInterval | null;

  /** The uses a refill sets the count back to (at most `usesLimit`). */
  @Column({ type: 'integer', nullable: true })
  refillAmount!: number | null;
}

export interface Refill {
  readonly interval: RefillInterval;
  readonly amount: number;
}

/**
 * A token's uses: its limit, what is left in `period` (a refill period's number, 0 without a
 * refill), and the refill. What the verifier, the ledgers and the capping rules pass around.
 */
export interface UsesState {
  readonly limit: number;
  readonly remaining: number;
  readonly period: number;
  readonly refill: Refill | null;
}

/** A stored token's uses, or null for a token with no limit. */
export function usesOfRow(
  row: Partial<
    Pick<ApiToken, 'usesLimit' | 'usesRemaining' | 'usesPeriod' | 'refillInterval' | 'refillAmount'>
  >,
): UsesState | null {
  if (row.usesLimit === null || row.usesLimit === undefined) return null;
  return {
    limit: row.usesLimit,
    remaining: row.usesRemaining ?? 0,
    period: row.usesPeriod ?? 0,
    refill:
      row.refillInterval && row.refillAmount
        ? { interval: row.refillInterval, amount: row.refillAmount }
        : null,
  };
}

import { randomUUID } from 'node:crypto';
import type { Author } from '../../../database/units/domain-event';
import type { TokenTerms } from '../../../governance/business-policy';
import { ApiToken, type TokenOrigin } from '../../store/entities/api-token.entity';
import { UNCONSTRAINED, type TokenConstraints } from '../../policy/token-constraints';
import type { TokenError } from '../../token-error';
import { newJti, type MintedSecret } from '../../token-secret';
import { usesColumns } from '../../usage/uses/token-uses';

/** What `TokenIssuanceService.issue` makes a token of, before the business's policy is applied. */
export interface IssueTokenInput {
  businessId: string | null;
  identityId: string;
  name: string;
  scopes: string[] | null;
  /**
   * The caller asked for `scopes` (a create's body, the CLI's): beyond the holder's role they are
   * refused; absent, they were derived (a first token's, a successor's) and the role narrows them.
   */
  scopesAsked?: boolean;
  expiresAt: Date | null;
  /** The thumbprint of the key it is bound to (DPoP); absent or null: a bearer token. */
  dpopJkt?: string | null;
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
  /**
   * The maker's limits this token breaks (its expiry, its networks, rate limit or audiences), in
   * the order the caller would answer them: answered with the business policy's breaches, so a
   * caller learns every rule at once. The fields they are about hold what was asked, and no token
   * is made. A scope beyond the maker is no breach here: that is 403 SCOPE_ESCALATION, first.
   */
  makerBreaches?: readonly TokenError[];
  /**
   * The business's `approval_required` rule holds this token back (403 APPROVAL_REQUIRED): set
   * by `POST /tokens` alone. A token request's check, its collection, the CLI and rotation leave
   * it unset, as each is either approved already or grows no power.
   */
  approvalGated?: boolean;
}

/**
 * The row of a new token: the input under the business policy's terms, holding the minted
 * secret's hash and preview (never the secret). What later changes set (use, revocation,
 * rotation, pause, leak report) starts empty.
 */
export function newTokenRow(
  input: IssueTokenInput,
  terms: TokenTerms,
  minted: Pick<MintedSecret, 'hash' | 'preview'>,
  author: Author,
  createdAt: Date,
): ApiToken {
  const constraints = input.constraints ?? UNCONSTRAINED;
  return Object.assign(new ApiToken(), {
    id: input.id ?? randomUUID(),
    jti: newJti(),
    businessId: input.businessId,
    identityId: input.identityId,
    name: input.name,
    scopes: terms.scopes && [...terms.scopes],
    tokenHash: minted.hash,
    preview: minted.preview,
    createdAt,
    createdBy: author.actor.label,
    createdById: author.actor.id,
    expiresAt: terms.expiresAt,
    lastUsedAt: null,
    revokedAt: null,
    revokedBy: null,
    revokedById: null,
    revocationReason: null,
    rotatedFromId: input.rotatedFromId ?? null,
    parentTokenId: input.rotatedFromId ?? author.actor.tokenId ?? null,
    rotatedToId: null,
    dpopJkt: input.dpopJkt ?? null,
    allowedCidrs: terms.allowedCidrs && [...terms.allowedCidrs],
    audiences: constraints.audiences && [...constraints.audiences],
    rateLimitPerMinute: constraints.rateLimitPerMinute,
    sharedLimitId: constraints.sharedLimit?.tokenId ?? null,
    sharedLimitPerMinute: constraints.sharedLimit?.perMinute ?? null,
    leakReportedAt: null,
    disabledAt: null,
    disabledBy: null,
    disabledById: null,
    disabledReason: null,
    meta: input.meta ?? null,
    origin: input.origin ?? null,
    // Taken under the business's audit chain head (`TokenIssuanceService`).
    statusListId: null,
    statusIndex: null,
    ...usesColumns(constraints.uses),
  } satisfies ApiToken);
}

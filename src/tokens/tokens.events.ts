import type { ApiToken } from './store/entities/api-token.entity';
import { listedIds } from '../common/validation/byte-budget';
import { Audited, Author, DomainEvent } from '../database/units/domain-event';

/** What an audit entry may say about a token: never its secret or hash. */
export interface TokenRef {
  id: string;
  jti: string;
  name: string;
  businessId: string | null;
  identityId: string;
}

// How each event reads in the audit log: a token event goes to the token's chain, targets the
// token, and names it by jti and holder (`on`, which token-sightings.events.ts shares).
const token = (t: TokenRef) => ({ type: 'token', id: t.id, label: t.name });
const ids = (t: TokenRef) => ({ jti: t.jti, identity_id: t.identityId });
export const on = (t: TokenRef, metadata: Record<string, unknown>) => ({
  businessId: t.businessId,
  target: token(t),
  metadata: { ...ids(t), ...metadata },
});

/** A pause with children: the count on the token asked for, the ancestor on each child. */
const familyOf = ({ family }: TokenDisabledEvent) => {
  if (!family) return {};
  if ('children' in family) return { children_paused: family.children };
  return { paused_with: { token_id: family.pausedWith.id, jti: family.pausedWith.jti } };
};

@Audited((e: TokenCreatedEvent) => on(e.token, { scopes: e.scopes, expires_at: e.expiresAt }))
export class TokenCreatedEvent extends DomainEvent {
  readonly name = 'token.created';
  constructor(
    author: Author,
    readonly token: TokenRef,
    readonly scopes: string[] | null,
    readonly expiresAt: string | null,
  ) {
    super(author);
  }
}

/**
 * What kind of revocation it was, from a closed set (the metrics count by it); `reason` is the
 * free text the caller gave. The cascades are named after the change that caused them.
 */
export type RevocationCause =
  | 'requested'
  | 'rotated'
  | 'bulk'
  | 'presented'
  | 'leaked'
  | 'member_removed'
  | 'identity_deleted'
  | 'platform_admin_removed'
  | 'reissued'
  | 'inactive'
  | 'grant_ended';

@Audited((e: TokenRevokedEvent) => on(e.token, { reason: e.reason }))
export class TokenRevokedEvent extends DomainEvent {
  readonly name = 'token.revoked';
  constructor(
    author: Author,
    readonly token: TokenRef,
    readonly reason: string | null,
    readonly cause: RevocationCause,
  ) {
    super(author);
  }
}

@Audited((e: TokenRotatedEvent) => ({
  businessId: e.from.businessId,
  target: token(e.from),
  metadata: {
    jti: e.from.jti,
    successor_id: e.to.id,
    successor_jti: e.to.jti,
    grace_period_seconds: e.gracePeriodSeconds,
  },
}))
export class TokenRotatedEvent extends DomainEvent {
  readonly name = 'token.rotated';
  constructor(
    author: Author,
    readonly from: TokenRef,
    readonly to: TokenRef,
    readonly gracePeriodSeconds: number,
  ) {
    super(author);
  }
}

@Audited((e: TokensBulkRevokedEvent) => ({
  businessId: e.businessId,
  target: { type: 'business', id: e.businessId, label: null },
  metadata: {
    reason: e.reason,
    filters: e.filters,
    revoked: e.tokenIds.length,
    ...listedIds('token_ids', e.tokenIds),
  },
}))
export class TokensBulkRevokedEvent extends DomainEvent {
  readonly name = 'token.bulk_revoked';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly filters: Record<string, unknown>,
    readonly reason: string,
    readonly tokenIds: string[],
  ) {
    super(author);
  }
}

/**
 * Keys brought from another service were imported as tokens, all in one unit of work (each with
 * its own `token.created`): how many, and which. Never a hash.
 */
@Audited((e: TokensImportedEvent) => ({
  businessId: e.businessId,
  target: { type: 'business', id: e.businessId, label: null },
  metadata: {
    imported: e.tokens.length,
    ...listedIds(
      'token_ids',
      e.tokens.map((t) => t.id),
    ),
  },
}))
export class TokensImportedEvent extends DomainEvent {
  readonly name = 'token.imported';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly tokens: TokenRef[],
  ) {
    super(author);
  }
}

/** A token was renamed. Not audited (the design's actions do not include it); caches follow it. */
export class TokenRenamedEvent extends DomainEvent {
  readonly name = 'token.renamed';
  constructor(
    author: Author,
    readonly token: TokenRef,
  ) {
    super(author);
  }
}

/** The token as its events name it. */
export function tokenRef(token: ApiToken): TokenRef {
  return {
    id: token.id,
    jti: token.jti,
    name: token.name,
    businessId: token.businessId,
    identityId: token.identityId,
  };
}

/**
 * A pause with children, as each token it paused records it: the token asked for, with how many
 * of its children were paused with it, or a child, with the token it was paused with.
 */
export type PauseFamily = { children: number } | { pausedWith: { id: string; jti: string } };

/** A token was paused: refused (401 TOKEN_DISABLED) until enabled, but not revoked. */
@Audited((e: TokenDisabledEvent) => on(e.token, { reason: e.reason, ...familyOf(e) }))
export class TokenDisabledEvent extends DomainEvent {
  readonly name = 'token.disabled';
  constructor(
    author: Author,
    readonly token: TokenRef,
    readonly reason: string | null,
    /** Null for a pause of one token. */
    readonly family: PauseFamily | null = null,
  ) {
    super(author);
  }
}

/** A paused token was resumed. */
@Audited((e: TokenEnabledEvent) => on(e.token, {}))
export class TokenEnabledEvent extends DomainEvent {
  readonly name = 'token.enabled';
  constructor(
    author: Author,
    readonly token: TokenRef,
  ) {
    super(author);
  }
}

/**
 * A token was edited by PATCH beyond its name (its meta, or a narrowing): `before` and `after`
 * hold the fields that changed. `meta`'s content is never in them, only that it changed
 * (`changed`), since it is the caller's own data and stays out of every log.
 */
@Audited((e: TokenUpdatedEvent) =>
  on(e.token, { changed: e.changed, before: e.before, after: e.after }),
)
export class TokenUpdatedEvent extends DomainEvent {
  readonly name = 'token.updated';
  constructor(
    author: Author,
    readonly token: TokenRef,
    readonly changed: string[],
    readonly before: Record<string, unknown>,
    readonly after: Record<string, unknown>,
  ) {
    super(author);
  }
}

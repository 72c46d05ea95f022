import { Audited, Author, DomainEvent } from '../database/units/domain-event';
import { on, type TokenRef } from './tokens.events';

/*
 * What is seen of a token rather than done to it: a scanner's report of it in public, a refused
 * use, and the notices of its coming expiry or disuse. The changes to a token are tokens.events.ts.
 */

/**
 * Where a secret scanner found a token: the page, the kind of place (`content`, `commit`, …) and
 * the scanner's name for the token type. Each is single-line text of bounded length, with
 * anything shaped like a secret masked, before it reaches an event.
 */
export interface LeakSighting {
  url: string | null;
  source: string | null;
  type: string | null;
}

/**
 * A secret scanner reported the token as found in public, for the first time. `revokedByReport`
 * says whether this report revoked it (in the same transaction as its `TokenRevokedEvent`) or
 * found it revoked already: a dead token found in public still tells its business where its
 * secrets leak. A token reported again emits none.
 */
@Audited((e: TokenLeakedEvent) =>
  on(e.token, {
    url: e.sighting.url,
    source: e.sighting.source,
    token_type: e.sighting.type,
    revoked_by_report: e.revokedByReport,
  }),
)
export class TokenLeakedEvent extends DomainEvent {
  readonly name = 'token.leaked';
  constructor(
    author: Author,
    readonly token: TokenRef,
    readonly sighting: LeakSighting,
    readonly revokedByReport: boolean,
  ) {
    super(author);
  }
}

/** Why a presented token was refused, as `token.rejected` records it. */
export type RejectionReason =
  | 'revoked'
  | 'expired'
  | 'ip_not_allowed'
  | 'disabled'
  /** A key-bound token without a valid proof of its key, or any token with a proof that fails. */
  | 'dpop_proof'
  /** A token bound to audiences, used at a resource not among them. */
  | 'audience';

/**
 * A revoked, expired or disabled token was presented, a live one from outside its
 * `allowed_cidrs`, one without the DPoP proof it needs, or one used at a resource outside its
 * `audiences`.
 * Recorded in a unit of work of its own (nothing else changed), at most once a minute per token
 * (and per address, for `ip_not_allowed`), so a leaked token still in use shows up.
 */
@Audited((e: TokenRejectedEvent) => ({
  ...on(e.token, { reason: e.reason }),
  outcome: 'failure',
}))
export class TokenRejectedEvent extends DomainEvent {
  readonly name = 'token.rejected';
  constructor(
    author: Author,
    readonly token: TokenRef,
    readonly reason: RejectionReason,
  ) {
    super(author);
  }
}

/** A token will expire within `daysBefore` days: told once per token and notice. */
@Audited((e: TokenExpiringEvent) =>
  on(e.token, { expires_at: e.expiresAt, days_before: e.daysBefore }),
)
export class TokenExpiringEvent extends DomainEvent {
  readonly name = 'token.expiring';
  constructor(
    author: Author,
    readonly token: TokenRef,
    readonly expiresAt: string,
    readonly daysBefore: number,
  ) {
    super(author);
  }
}

/**
 * A token unused (since `idleSince`) for all but 7 days of its business's
 * `inactivity_revoke_days`: it will be revoked as inactive at `revokesAt` unless used before.
 * Told once per spell of disuse.
 */
@Audited((e: TokenInactiveSoonEvent) =>
  on(e.token, { idle_since: e.idleSince, revokes_at: e.revokesAt }),
)
export class TokenInactiveSoonEvent extends DomainEvent {
  readonly name = 'token.inactive_soon';
  constructor(
    author: Author,
    readonly token: TokenRef,
    readonly idleSince: string,
    readonly revokesAt: string,
  ) {
    super(author);
  }
}

/** A token reached its expiry: told once per token. */
@Audited((e: TokenExpiredEvent) => on(e.token, { expires_at: e.expiresAt }))
export class TokenExpiredEvent extends DomainEvent {
  readonly name = 'token.expired';
  constructor(
    author: Author,
    readonly token: TokenRef,
    readonly expiresAt: string,
  ) {
    super(author);
  }
}

import { DomainEvent, EventActor, EventOrigin } from '../database/domain-event';

/** What an audit entry may say about a token: never its secret or hash. */
export interface TokenRef {
  id: string;
  jti: string;
  name: string;
  businessId: string | null;
  identityId: string;
}

export class TokenCreatedEvent extends DomainEvent {
  readonly name = 'token.created';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    readonly token: TokenRef,
    readonly scopes: string[] | null,
    readonly expiresAt: string | null,
  ) {
    super(actor, origin);
  }
}

export class TokenRevokedEvent extends DomainEvent {
  readonly name = 'token.revoked';
  constructor(
    actor: EventActor,
    origin: EventOrigin,
    readonly token: TokenRef,
    readonly reason: string | null,
  ) {
    super(actor, origin);
  }
}

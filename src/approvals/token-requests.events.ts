import { Audited, Author, DomainEvent } from '../database/units/domain-event';

/** A token request as its audit entries name it: by id and the token's name, never a secret. */
export interface TokenRequestRef {
  id: string;
  businessId: string;
  name: string;
  identityId: string;
  requestedById: string;
}

const target = (r: TokenRequestRef) => ({ type: 'token_request', id: r.id, label: r.name });
const who = (r: TokenRequestRef) => ({
  identity_id: r.identityId,
  requested_by_id: r.requestedById,
});

@Audited((e: TokenRequestCreatedEvent) => ({
  businessId: e.request.businessId,
  target: target(e.request),
  metadata: { ...who(e.request), scopes: e.scopes, justification: e.justification },
}))
export class TokenRequestCreatedEvent extends DomainEvent {
  readonly name = 'token_request.created';
  constructor(
    author: Author,
    readonly request: TokenRequestRef,
    readonly scopes: string[] | null,
    readonly justification: string,
  ) {
    super(author);
  }
}

@Audited((e: TokenRequestApprovedEvent) => ({
  businessId: e.request.businessId,
  target: target(e.request),
  metadata: { ...who(e.request), reason: e.reason },
}))
export class TokenRequestApprovedEvent extends DomainEvent {
  readonly name = 'token_request.approved';
  constructor(
    author: Author,
    readonly request: TokenRequestRef,
    readonly reason: string | null,
  ) {
    super(author);
  }
}

@Audited((e: TokenRequestDeniedEvent) => ({
  businessId: e.request.businessId,
  target: target(e.request),
  metadata: { ...who(e.request), reason: e.reason },
}))
export class TokenRequestDeniedEvent extends DomainEvent {
  readonly name = 'token_request.denied';
  constructor(
    author: Author,
    readonly request: TokenRequestRef,
    readonly reason: string,
  ) {
    super(author);
  }
}

@Audited((e: TokenRequestWithdrawnEvent) => ({
  businessId: e.request.businessId,
  target: target(e.request),
  metadata: who(e.request),
}))
export class TokenRequestWithdrawnEvent extends DomainEvent {
  readonly name = 'token_request.withdrawn';
  constructor(
    author: Author,
    readonly request: TokenRequestRef,
  ) {
    super(author);
  }
}

/** The requester took the approved token: `jti` names it, as its own `token.created` does. */
@Audited((e: TokenRequestCollectedEvent) => ({
  businessId: e.request.businessId,
  target: target(e.request),
  metadata: { ...who(e.request), token_id: e.tokenId, jti: e.jti },
}))
export class TokenRequestCollectedEvent extends DomainEvent {
  readonly name = 'token_request.collected';
  constructor(
    author: Author,
    readonly request: TokenRequestRef,
    readonly tokenId: string,
    readonly jti: string,
  ) {
    super(author);
  }
}

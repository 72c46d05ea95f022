import { Audited, Author, DomainEvent } from '../../database/units/domain-event';
import type { Grant, GrantEnd } from './store/grant.entity';

/** The longest label an audit entry keeps (`target.label`). */
const LABEL_MAX = 340;

/** A consent as its audit entries name it: never a code, a token or a PKCE value. */
export interface ConsentRef {
  id: string;
  businessId: string;
  identityId: string;
  clientId: string;
  clientName: string | null;
  resource: string;
  scopes: string[];
}

const consentTarget = (c: ConsentRef) => ({
  type: 'oauth_consent',
  id: c.id,
  label: (c.clientName ?? c.clientId).slice(0, LABEL_MAX),
});

const consentMetadata = (c: ConsentRef) => ({
  identity_id: c.identityId,
  client_id: c.clientId,
  resource: c.resource,
  scopes: c.scopes,
});

/** A person allowed a client these scopes at a resource (a new consent, or a wider one). */
@Audited((e: ConsentGivenEvent) => ({
  businessId: e.consent.businessId,
  target: consentTarget(e.consent),
  metadata: { ...consentMetadata(e.consent), widened: e.widened },
}))
export class ConsentGivenEvent extends DomainEvent {
  readonly name = 'oauth_consent.given';
  constructor(
    author: Author,
    readonly consent: ConsentRef,
    readonly widened: boolean,
  ) {
    super(author);
  }
}

/** A person refused a client's request: no code, and the client hears access_denied. */
@Audited((e: ConsentDeniedEvent) => ({
  businessId: e.businessId,
  target: { type: 'oauth_client', id: null, label: e.clientId.slice(0, LABEL_MAX) },
  outcome: 'failure',
  metadata: { client_id: e.clientId, resource: e.resource, scopes: e.scopes },
}))
export class ConsentDeniedEvent extends DomainEvent {
  readonly name = 'oauth_consent.denied';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly clientId: string,
    readonly resource: string,
    readonly scopes: string[],
  ) {
    super(author);
  }
}

/** A person withdrew a connected app: its grants ended, and their tokens were revoked. */
@Audited((e: ConsentWithdrawnEvent) => ({
  businessId: e.consent.businessId,
  target: consentTarget(e.consent),
  metadata: { ...consentMetadata(e.consent), revoked_tokens: e.revokedTokens },
}))
export class ConsentWithdrawnEvent extends DomainEvent {
  readonly name = 'oauth_consent.withdrawn';
  constructor(
    author: Author,
    readonly consent: ConsentRef,
    readonly revokedTokens: number,
  ) {
    super(author);
  }
}

/** A grant as its audit entries name it. */
export interface GrantRef {
  id: string;
  businessId: string;
  consentId: string;
  identityId: string;
  clientId: string;
  resource: string;
}

export const grantRef = (g: Grant): GrantRef => ({
  id: g.id,
  businessId: g.businessId,
  consentId: g.consentId,
  identityId: g.identityId,
  clientId: g.clientId,
  resource: g.resource,
});

const grantTarget = (g: GrantRef) => ({
  type: 'oauth_grant',
  id: g.id,
  label: g.clientId.slice(0, LABEL_MAX),
});

const grantMetadata = (g: GrantRef) => ({
  consent_id: g.consentId,
  identity_id: g.identityId,
  client_id: g.clientId,
  resource: g.resource,
});

/** A client was issued an access token (and a refresh token) under a grant. */
@Audited((e: GrantTokensIssuedEvent) => ({
  businessId: e.grant.businessId,
  target: grantTarget(e.grant),
  metadata: {
    ...grantMetadata(e.grant),
    grant_type: e.grantType,
    access_token_id: e.accessTokenId,
    scopes: e.scopes,
  },
}))
export class GrantTokensIssuedEvent extends DomainEvent {
  readonly name = 'oauth_grant.tokens_issued';
  constructor(
    author: Author,
    readonly grant: GrantRef,
    readonly grantType: 'authorization_code' | 'refresh_token',
    readonly accessTokenId: string,
    readonly scopes: string[],
  ) {
    super(author);
  }
}

/**
 * A refresh token already used was presented again: someone holds a copy, so the whole line ends
 * (RFC 9700 §4.14.2), and the entry says so beside the revocations it caused.
 */
@Audited((e: RefreshTokenReusedEvent) => ({
  businessId: e.grant.businessId,
  target: grantTarget(e.grant),
  outcome: 'failure',
  metadata: { ...grantMetadata(e.grant), refresh_token_id: e.refreshTokenId },
}))
export class RefreshTokenReusedEvent extends DomainEvent {
  readonly name = 'oauth_grant.refresh_reused';
  constructor(
    author: Author,
    readonly grant: GrantRef,
    readonly refreshTokenId: string,
  ) {
    super(author);
  }
}

/** A grant ended, and every token of its line was revoked. */
@Audited((e: GrantEndedEvent) => ({
  businessId: e.grant.businessId,
  target: grantTarget(e.grant),
  metadata: { ...grantMetadata(e.grant), reason: e.reason, revoked_tokens: e.revokedTokens },
}))
export class GrantEndedEvent extends DomainEvent {
  readonly name = 'oauth_grant.ended';
  constructor(
    author: Author,
    readonly grant: GrantRef,
    readonly reason: GrantEnd,
    readonly revokedTokens: number,
  ) {
    super(author);
  }
}

/** A request for an approver's consent, as its audit entries name it. */
export interface ConsentRequestRef {
  id: string;
  businessId: string;
  identityId: string;
  clientId: string;
  clientName: string | null;
  resource: string;
  scopes: string[];
}

const requestTarget = (r: ConsentRequestRef) => ({
  type: 'oauth_consent_request',
  id: r.id,
  label: (r.clientName ?? r.clientId).slice(0, LABEL_MAX),
});

const requestMetadata = (r: ConsentRequestRef) => ({
  identity_id: r.identityId,
  client_id: r.clientId,
  resource: r.resource,
  scopes: r.scopes,
});

/** A person asked an approver to allow a client scopes the business keeps for approvers. */
@Audited((e: ConsentApprovalRequestedEvent) => ({
  businessId: e.request.businessId,
  target: requestTarget(e.request),
  metadata: { ...requestMetadata(e.request), justification: e.justification },
}))
export class ConsentApprovalRequestedEvent extends DomainEvent {
  readonly name = 'oauth_consent.approval_requested';
  constructor(
    author: Author,
    readonly request: ConsentRequestRef,
    readonly justification: string,
  ) {
    super(author);
  }
}

/** An approver allowed a person's request: their consent holds the scopes as approved. */
@Audited((e: ConsentApprovalGrantedEvent) => ({
  businessId: e.request.businessId,
  target: requestTarget(e.request),
  metadata: { ...requestMetadata(e.request), reason: e.reason },
}))
export class ConsentApprovalGrantedEvent extends DomainEvent {
  readonly name = 'oauth_consent.approved';
  constructor(
    author: Author,
    readonly request: ConsentRequestRef,
    readonly reason: string | null,
  ) {
    super(author);
  }
}

/** An approver refused a person's request, with a reason. */
@Audited((e: ConsentApprovalRefusedEvent) => ({
  businessId: e.request.businessId,
  target: requestTarget(e.request),
  outcome: 'failure',
  metadata: { ...requestMetadata(e.request), reason: e.reason },
}))
export class ConsentApprovalRefusedEvent extends DomainEvent {
  readonly name = 'oauth_consent.approval_refused';
  constructor(
    author: Author,
    readonly request: ConsentRequestRef,
    readonly reason: string,
  ) {
    super(author);
  }
}

import { Audited, Author, DomainEvent } from '../../database/units/domain-event';

/**
 * A code as its audit entries name it: by its row's id and its grant, with the client, the
 * resource and the scopes. Never the code, its hash, or the PKCE values.
 */
export interface CodeRef {
  id: string;
  businessId: string;
  grantId: string;
  identityId: string;
  clientId: string;
  redirectUri: string;
  resource: string;
  scopes: string[];
}

/** The longest label an audit entry keeps (`target.label`). */
const LABEL_MAX = 340;

const target = (c: CodeRef) => ({
  type: 'authorization_code',
  id: c.id,
  label: c.clientId.slice(0, LABEL_MAX),
});

const metadata = (c: CodeRef) => ({
  grant_id: c.grantId,
  identity_id: c.identityId,
  client_id: c.clientId,
  redirect_uri: c.redirectUri,
  resource: c.resource,
  scopes: c.scopes,
});

/** Why a redemption of a known code was refused, as the audit entry says it. */
export type CodeRefusal =
  | 'expired'
  | 'client_mismatch'
  | 'redirect_uri_mismatch'
  | 'resource_mismatch'
  | 'verifier_missing'
  | 'verifier_mismatch'
  | 'dpop_key_mismatch';

/** A person consented, and a code went to the client. */
@Audited((e: AuthorizationCodeIssuedEvent) => ({
  businessId: e.code.businessId,
  target: target(e.code),
  metadata: {
    ...metadata(e.code),
    dpop_bound: e.dpopBound,
    expires_at: e.expiresAt.toISOString(),
  },
}))
export class AuthorizationCodeIssuedEvent extends DomainEvent {
  readonly name = 'authorization_code.issued';
  constructor(
    author: Author,
    readonly code: CodeRef,
    readonly expiresAt: Date,
    readonly dpopBound: boolean,
  ) {
    super(author);
  }
}

/** The client redeemed the code, once: its grant's tokens may be issued. */
@Audited((e: AuthorizationCodeRedeemedEvent) => ({
  businessId: e.code.businessId,
  target: target(e.code),
  metadata: metadata(e.code),
}))
export class AuthorizationCodeRedeemedEvent extends DomainEvent {
  readonly name = 'authorization_code.redeemed';
  constructor(
    author: Author,
    readonly code: CodeRef,
  ) {
    super(author);
  }
}

/** A redemption of a code the business issued was refused, and the code left as it was. */
@Audited((e: AuthorizationCodeRefusedEvent) => ({
  businessId: e.code.businessId,
  target: target(e.code),
  outcome: 'failure',
  metadata: { ...metadata(e.code), reason: e.reason },
}))
export class AuthorizationCodeRefusedEvent extends DomainEvent {
  readonly name = 'authorization_code.refused';
  constructor(
    author: Author,
    readonly code: CodeRef,
    readonly reason: CodeRefusal,
  ) {
    super(author);
  }
}

/**
 * A code already redeemed was presented again: refused, and its grant is to be revoked, since
 * the code has leaked (RFC 6749 §4.1.2, "SHOULD revoke"; §10.5). Subscribers hear it after
 * commit (`AuthorizationCodesService.onReplay`) and revoke the tokens issued under `grantId`.
 */
@Audited((e: AuthorizationCodeReplayedEvent) => ({
  businessId: e.code.businessId,
  target: target(e.code),
  outcome: 'failure',
  metadata: metadata(e.code),
}))
export class AuthorizationCodeReplayedEvent extends DomainEvent {
  readonly name = 'authorization_code.replayed';
  constructor(
    author: Author,
    readonly code: CodeRef,
  ) {
    super(author);
  }

  get grantId(): string {
    return this.code.grantId;
  }
}

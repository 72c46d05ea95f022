import { Audited, Author, DomainEvent } from '../database/units/domain-event';
import type { TokenRef } from '../tokens/tokens.events';

/** What an audit entry says of a trust rule: never its keys, only where they come from. */
export interface TrustRuleRef {
  id: string;
  businessId: string;
  identityId: string;
  issuer: string;
  audience: string;
  subject: string;
  jwksUri: string | null;
  claims: Record<string, string> | null;
  scopes: string[];
  maxTtlSeconds: number;
  requireDpop: boolean;
}

/** How a rule's events read in the audit log: where its keys come from, never the keys. */
const ruleEntry = (r: TrustRuleRef) => ({
  businessId: r.businessId,
  target: { type: 'trust_rule', id: r.id, label: r.subject },
  metadata: {
    identity_id: r.identityId,
    issuer: r.issuer,
    audience: r.audience,
    subject: r.subject,
    jwks_uri: r.jwksUri,
    claims: r.claims,
    scopes: r.scopes,
    max_ttl_seconds: r.maxTtlSeconds,
    require_dpop: r.requireDpop,
  },
});

@Audited((e: TrustRuleCreatedEvent) => ruleEntry(e.rule))
export class TrustRuleCreatedEvent extends DomainEvent {
  readonly name = 'trust_rule.created';
  constructor(
    author: Author,
    readonly rule: TrustRuleRef,
  ) {
    super(author);
  }
}

@Audited((e: TrustRuleDeletedEvent) => ruleEntry(e.rule))
export class TrustRuleDeletedEvent extends DomainEvent {
  readonly name = 'trust_rule.deleted';
  constructor(
    author: Author,
    readonly rule: TrustRuleRef,
  ) {
    super(author);
  }
}

/**
 * A workload's JWT was traded for a token (RFC 8693), in the transaction that issued it (whose
 * `token.created` comes first). It names the JWT by its issuer, subject and `jti`, never by its
 * text, which is a credential until it expires.
 */
@Audited((e: TokenExchangedEvent) => ({
  businessId: e.token.businessId,
  target: { type: 'token', id: e.token.id, label: e.token.name },
  metadata: {
    jti: e.token.jti,
    identity_id: e.token.identityId,
    rule_id: e.ruleId,
    issuer: e.issuer,
    subject: e.subject,
    subject_token_jti: e.jti,
    scopes: e.scopes,
    expires_at: e.expiresAt,
  },
}))
export class TokenExchangedEvent extends DomainEvent {
  readonly name = 'token.exchanged';
  constructor(
    author: Author,
    readonly token: TokenRef,
    readonly ruleId: string,
    readonly issuer: string,
    readonly subject: string,
    readonly jti: string,
    readonly scopes: string[],
    readonly expiresAt: string,
  ) {
    super(author);
  }
}

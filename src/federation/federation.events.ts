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
}

@Audited()
export class TrustRuleCreatedEvent extends DomainEvent {
  readonly name = 'trust_rule.created';
  constructor(
    author: Author,
    readonly rule: TrustRuleRef,
  ) {
    super(author);
  }
}

@Audited()
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
@Audited()
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

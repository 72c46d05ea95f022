import { Module } from '@nestjs/common';
import { AuditListener } from '../audit/audit.listener';
import { AuditModule } from '../audit/audit.module';
import { DomainEvents } from '../database/domain-events';
import { IdentityDeletedEvent, MemberRemovedEvent } from '../tenancy/tenancy.events';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TokensModule } from '../tokens/tokens.module';
import { ExchangeLimits } from './exchange-limits';
import {
  TokenExchangedEvent,
  TrustRuleCreatedEvent,
  TrustRuleDeletedEvent,
  TrustRuleRef,
} from './federation.events';
import { JwksKeys } from './jwks-keys';
import { TokenExchangeController } from './token-exchange.controller';
import { TokenExchangeService } from './token-exchange.service';
import { TrustRulesController } from './trust-rules.controller';
import { TrustRulesRepository } from './trust-rules.repository';
import { TrustRulesService } from './trust-rules.service';

/** What an audit entry says of a rule: where its keys come from, never the keys themselves. */
const ruleMetadata = (r: TrustRuleRef) => ({
  identity_id: r.identityId,
  issuer: r.issuer,
  audience: r.audience,
  subject: r.subject,
  jwks_uri: r.jwksUri,
  claims: r.claims,
  scopes: r.scopes,
  max_ttl_seconds: r.maxTtlSeconds,
});

/**
 * OIDC federation (issue 40): machine identities' trust rules, and the RFC 8693 exchange of a
 * workload's JWT for a token of one. It sits above tokens (it issues through them) and the audit
 * log (it records its own events there), and the HTTP app alone loads it.
 */
@Module({
  imports: [TokensModule, TenancyModule, AuditModule],
  controllers: [TrustRulesController, TokenExchangeController],
  providers: [
    TrustRulesRepository,
    TrustRulesService,
    JwksKeys,
    ExchangeLimits,
    TokenExchangeService,
  ],
  exports: [JwksKeys, TokenExchangeService],
})
export class FederationModule {
  constructor(audit: AuditListener, events: DomainEvents, rules: TrustRulesRepository) {
    // A machine's rules end with its membership, in the same transaction: a rule left behind
    // would still be matched (and make a JWT ambiguous against a new machine's rule).
    events.handle(IdentityDeletedEvent, (e, em) =>
      rules.deleteOfIdentity(em, e.businessId, e.identity.id),
    );
    events.handle(MemberRemovedEvent, (e, em) =>
      rules.deleteOfIdentity(em, e.businessId, e.member.id),
    );
    const rule = (r: TrustRuleRef) => ({ type: 'trust_rule', id: r.id, label: r.subject });
    audit.record(TrustRuleCreatedEvent, (e) => ({
      businessId: e.rule.businessId,
      target: rule(e.rule),
      metadata: ruleMetadata(e.rule),
    }));
    audit.record(TrustRuleDeletedEvent, (e) => ({
      businessId: e.rule.businessId,
      target: rule(e.rule),
      metadata: ruleMetadata(e.rule),
    }));
    audit.record(TokenExchangedEvent, (e) => ({
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
    }));
  }
}

import { Module } from '@nestjs/common';
import { AuditListener } from '../audit/recording/audit.listener';
import { AuditModule } from '../audit/audit.module';
import { DomainEvents } from '../database/units/domain-events';
import { IdentityDeletedEvent, MemberRemovedEvent } from '../tenancy/tenancy.events';
import {
  TokenExchangedEvent,
  TrustRuleCreatedEvent,
  TrustRuleDeletedEvent,
  TrustRuleRef,
} from './federation.events';
import { TrustRulesRepository } from './rules/trust-rules.repository';

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
 * What federation adds to every process that makes changes (the HTTP app and the CLI, through
 * CORE_MODULES): the audit records of its events, and a machine's rules deleted with its
 * membership. A CLI that removes a member or deletes a machine must delete its rules as the
 * HTTP route does, and a process that has loaded these events must record them.
 */
@Module({
  imports: [AuditModule],
  providers: [TrustRulesRepository],
  exports: [TrustRulesRepository],
})
export class FederationCoreModule {
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

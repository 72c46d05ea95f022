import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { Invalidations } from '../common/invalidations';
import { DomainEvents } from '../database/units/domain-events';
import { IdentityDeletedEvent, MemberRemovedEvent } from '../tenancy/tenancy.events';
import { TrustRuleCreatedEvent, TrustRuleDeletedEvent } from './federation.events';
import { TrustRulesRepository } from './store/trust-rules.repository';

/**
 * What federation adds to every process that makes changes (the HTTP app and the CLI, through
 * CORE_MODULES): the audit log its events are recorded in (they say how, in federation.events.ts),
 * a machine's rules deleted with its membership, and every instance told that a business's rules
 * changed, as its other settings are (`business.changed`: the exchange's `TrustRuleBook` hears it).
 * A CLI that removes a member or deletes a machine must delete its rules as the HTTP route does.
 */
@Module({
  imports: [AuditModule],
  providers: [TrustRulesRepository],
  exports: [TrustRulesRepository],
})
export class FederationCoreModule {
  constructor(events: DomainEvents, rules: TrustRulesRepository, invalidations: Invalidations) {
    // A machine's rules end with its membership, in the same transaction: a rule left behind
    // would still be matched (and make a JWT ambiguous against a new machine's rule).
    events.handle(IdentityDeletedEvent, (e, tx) =>
      rules.deleteOfIdentity(e.businessId, e.identity.id, tx),
    );
    events.handle(MemberRemovedEvent, (e, tx) =>
      rules.deleteOfIdentity(e.businessId, e.member.id, tx),
    );
    events.subscribe([TrustRuleCreatedEvent, TrustRuleDeletedEvent], ({ rule }) =>
      invalidations.publish({ type: 'business.changed', business_id: rule.businessId }),
    );
  }
}

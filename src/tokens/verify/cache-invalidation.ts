import { Injectable } from '@nestjs/common';
import { TokenPolicyUpdatedEvent } from '../../governance/governance.events';
import {
  BusinessLimitDeletedEvent,
  BusinessLimitSetEvent,
} from '../../governance/limits/limits.events';
import {
  CreditBalanceDeletedEvent,
  CreditBalanceSetEvent,
} from '../../governance/credits/credits.events';
import { DomainEvents } from '../../database/units/domain-events';
import { Invalidations } from '../../common/invalidations';
import {
  CustomRoleSavedEvent,
  MemberCustomRoleChangedEvent,
} from '../../tenancy/custom-roles.events';
import {
  BusinessResumedEvent,
  BusinessSuspendedEvent,
  IdentityDeletedEvent,
  MemberRemovedEvent,
  MemberRoleChangedEvent,
  SsoSettingsUpdatedEvent,
} from '../../tenancy/tenancy.events';
import {
  TokenDisabledEvent,
  TokenEnabledEvent,
  TokenRenamedEvent,
  TokenRevokedEvent,
  TokenRotatedEvent,
  TokensImportedEvent,
  TokenUpdatedEvent,
} from '../tokens.events';

/**
 * Turns committed changes into revocation-bus messages, so every instance evicts what they
 * touch from its verifier cache (this one synchronously). It is the only writer to the bus: no
 * service that changes data knows it exists, and a new kind of change needs one line here.
 */
@Injectable()
export class CacheInvalidation {
  constructor(events: DomainEvents, invalidations: Invalidations) {
    // What a verifier snapshot holds: the token (revoked, paused, expiry, name), the holder's
    // role in the business, the business's status and its policy's require_dpop.
    const tokenChanges = [
      TokenRevokedEvent,
      TokenRenamedEvent,
      TokenDisabledEvent,
      TokenEnabledEvent,
      TokenUpdatedEvent,
    ];
    events.subscribe(tokenChanges, ({ token }) =>
      invalidations.publish({
        type: 'token.changed',
        business_id: token.businessId,
        jti: token.jti,
      }),
    );
    // A rotation with a grace period shortens the old token's life.
    events.subscribe([TokenRotatedEvent], ({ from }) =>
      invalidations.publish({ type: 'token.changed', business_id: from.businessId, jti: from.jti }),
    );
    // Nothing cached to evict: it tells every other instance that keys without Latchkey's shape
    // are now worth a lookup (`ImportedKeys`).
    events.subscribe([TokensImportedEvent], ({ businessId, tokens }) =>
      invalidations.publish({ type: 'token.changed', business_id: businessId, jti: tokens[0].jti }),
    );
    events.subscribe([BusinessSuspendedEvent, BusinessResumedEvent], ({ business }) =>
      invalidations.publish({ type: 'business.changed', business_id: business.id }),
    );
    // The policy's require_dpop, which a snapshot holds for a token that shows a proof.
    events.subscribe([TokenPolicyUpdatedEvent], ({ businessId }) =>
      invalidations.publish({ type: 'business.changed', business_id: businessId }),
    );
    // The business's shared limits and credit balances, which `LimitBook` and `CreditMeter` hold.
    const quotaChanges = [
      BusinessLimitSetEvent,
      BusinessLimitDeletedEvent,
      CreditBalanceSetEvent,
      CreditBalanceDeletedEvent,
    ];
    events.subscribe(quotaChanges, ({ businessId }) =>
      invalidations.publish({ type: 'business.changed', business_id: businessId }),
    );
    events.subscribe([MemberRoleChangedEvent, MemberRemovedEvent], (e) =>
      invalidations.publish({
        type: 'membership.changed',
        business_id: e.businessId,
        identity_id: e.member.id,
      }),
    );
    // The business's console sign-in setting, which its snapshots carry.
    events.subscribe([SsoSettingsUpdatedEvent], ({ businessId }) =>
      invalidations.publish({ type: 'business.changed', business_id: businessId }),
    );
    // A custom role's scopes, which bound its holders' snapshots: all of the business's go.
    events.subscribe([CustomRoleSavedEvent], ({ role }) =>
      invalidations.publish({ type: 'business.changed', business_id: role.businessId }),
    );
    events.subscribe([MemberCustomRoleChangedEvent], (e) =>
      invalidations.publish({
        type: 'membership.changed',
        business_id: e.businessId,
        identity_id: e.member.id,
      }),
    );
    events.subscribe([IdentityDeletedEvent], (e) =>
      invalidations.publish({
        type: 'membership.changed',
        business_id: e.businessId,
        identity_id: e.identity.id,
      }),
    );
  }
}

import { Injectable } from '@nestjs/common';
import { TokenPolicyUpdatedEvent } from '../../governance/governance.events';
import {
  TokenDisabledEvent,
  TokenEnabledEvent,
  TokenInactiveSoonEvent,
  TokenRef,
  TokenUpdatedEvent,
} from '../../tokens/tokens.events';
import { AuditListener } from './audit.listener';

const target = (t: TokenRef) => ({ type: 'token', id: t.id, label: t.name });
const named = (t: TokenRef) => ({
  businessId: t.businessId,
  target: target(t),
  jti: t.jti,
  identity_id: t.identityId,
});

/** A pause with children: the count on the token asked for, the ancestor on each child. */
const familyOf = ({ family }: TokenDisabledEvent) => {
  if (!family) return {};
  if ('children' in family) return { children_paused: family.children };
  return { paused_with: { token_id: family.pausedWith.id, jti: family.pausedWith.jti } };
};

/**
 * How the events of a business governing its tokens (pause and resume, edits, its token policy
 * and the disuse it revokes for) read as audit entries:
 * registered through `AuditListener.record`, so the start-up check that every audited class has
 * a handler holds for them too.
 */
@Injectable()
export class TokenGovernanceRecords {
  constructor(audit: AuditListener) {
    audit.record(TokenDisabledEvent, (e) => {
      const { businessId, target, ...ids } = named(e.token);
      return { businessId, target, metadata: { ...ids, reason: e.reason, ...familyOf(e) } };
    });
    audit.record(TokenEnabledEvent, (e) => {
      const { businessId, target, ...ids } = named(e.token);
      return { businessId, target, metadata: ids };
    });
    audit.record(TokenUpdatedEvent, (e) => {
      const { businessId, target, ...ids } = named(e.token);
      return {
        businessId,
        target,
        metadata: { ...ids, changed: e.changed, before: e.before, after: e.after },
      };
    });
    audit.record(TokenInactiveSoonEvent, (e) => {
      const { businessId, target, ...ids } = named(e.token);
      return {
        businessId,
        target,
        metadata: { ...ids, idle_since: e.idleSince, revokes_at: e.revokesAt },
      };
    });
    audit.record(TokenPolicyUpdatedEvent, (e) => ({
      businessId: e.businessId,
      target: { type: 'business', id: e.businessId, label: null },
      metadata: { before: e.before, after: e.after },
    }));
  }
}

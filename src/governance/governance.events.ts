import { Audited, Author, DomainEvent } from '../database/units/domain-event';
import type { ApprovalRuleSnapshot } from './approval-rule';

/** A business's token policy as its audit entry shows it (snake_case, as the API does). */
export interface PolicySnapshot {
  max_lifetime_days: number | null;
  require_expiry: boolean;
  allowed_scopes: string[] | null;
  required_cidrs: string[] | null;
  inactivity_revoke_days: number | null;
  require_dpop: 'all' | 'machines' | null;
  approval_required: ApprovalRuleSnapshot | null;
}

/** A business's token policy was set: `before` is null for its first. */
@Audited((e: TokenPolicyUpdatedEvent) => ({
  businessId: e.businessId,
  target: { type: 'business', id: e.businessId, label: null },
  metadata: { before: e.before, after: e.after },
}))
export class TokenPolicyUpdatedEvent extends DomainEvent {
  readonly name = 'token_policy.updated';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly before: PolicySnapshot | null,
    readonly after: PolicySnapshot,
  ) {
    super(author);
  }
}

import { Audited, Author, DomainEvent } from '../../database/units/domain-event';
import type { LimitWindow } from '../../throttle/shared-limits';

/** A shared limit as its audit entry shows it (snake_case, as the API does). */
export interface LimitSnapshot {
  window: LimitWindow;
  per_business: number | null;
  per_identity: number | null;
  overrides: { identity_id: string; per_identity: number }[];
}

/** A business's shared limit was set: `before` is null for a new one. */
@Audited((e: BusinessLimitSetEvent) => ({
  businessId: e.businessId,
  target: { type: 'business', id: e.businessId, label: null },
  metadata: { name: e.limitName, before: e.before, after: e.after },
}))
export class BusinessLimitSetEvent extends DomainEvent {
  readonly name = 'business_limit.set';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly limitName: string,
    readonly before: LimitSnapshot | null,
    readonly after: LimitSnapshot,
  ) {
    super(author);
  }
}

/** A business's shared limit was deleted: its calls count against nothing of that name. */
@Audited((e: BusinessLimitDeletedEvent) => ({
  businessId: e.businessId,
  target: { type: 'business', id: e.businessId, label: null },
  metadata: { name: e.limitName, before: e.before },
}))
export class BusinessLimitDeletedEvent extends DomainEvent {
  readonly name = 'business_limit.deleted';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly limitName: string,
    readonly before: LimitSnapshot,
  ) {
    super(author);
  }
}

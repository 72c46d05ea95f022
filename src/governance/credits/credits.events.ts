import { Audited, Author, DomainEvent } from '../../database/units/domain-event';
import type { RefillInterval } from '../../common/refill-period';

/** A credit balance as its audit entry shows it (snake_case, as the API does). */
export interface CreditSnapshot {
  balance: number;
  refill: { amount: number; interval: RefillInterval } | null;
}

/** A credit balance was set: `before` is null for a new one. `holder` is `business` or an identity's id. */
@Audited((e: CreditBalanceSetEvent) => ({
  businessId: e.businessId,
  target: { type: 'business', id: e.businessId, label: null },
  metadata: { holder: e.holder, before: e.before, after: e.after },
}))
export class CreditBalanceSetEvent extends DomainEvent {
  readonly name = 'credit_balance.set';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly holder: string,
    readonly before: CreditSnapshot | null,
    readonly after: CreditSnapshot,
  ) {
    super(author);
  }
}

/** A credit balance was deleted: its holder's checks spend none from then on. */
@Audited((e: CreditBalanceDeletedEvent) => ({
  businessId: e.businessId,
  target: { type: 'business', id: e.businessId, label: null },
  metadata: { holder: e.holder, before: e.before },
}))
export class CreditBalanceDeletedEvent extends DomainEvent {
  readonly name = 'credit_balance.deleted';
  constructor(
    author: Author,
    readonly businessId: string,
    readonly holder: string,
    readonly before: CreditSnapshot,
  ) {
    super(author);
  }
}

import { Column, Entity, PrimaryColumn } from 'typeorm';
import { refillPeriodOf, type RefillInterval } from '../../common/refill-period';

/** Whose balance: the business's own, or one identity's (by id). */
export const BUSINESS_HOLDER = 'business';

/**
 * A credit balance, of a business or of one of its identities: what gateway checks spend (their
 * cost each). Instances take credits from `balance` in blocks (`leased`) and spend them from
 * memory; what they spent is settled, and what they did not is handed back (see `CreditMeter`).
 */
@Entity({ name: 'credit_accounts' })
export class CreditAccount {
  @PrimaryColumn({ type: 'uuid' })
  businessId!: string;

  /** `business`, or the identity's id. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  holder!: string;

  /** Credits in the store, not taken by any instance. */
  @Column({ type: 'integer' })
  balance!: number;

  /** Credits instances have taken and not yet settled as spent or handed back. */
  @Column({ type: 'integer' })
  leased!: number;

  /** When credits were last taken: leases older than a minute are written off as spent. */
  @Column({ type: Date, nullable: true })
  leasedAt!: Date | null;

  @Column({ type: 'integer', nullable: true })
  refillAmount!: number | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  refillInterval!: RefillInterval | null;

  /** The refill period `balance` belongs to (`refillPeriodOf`); 0 without a refill. */
  @Column({ type: 'integer' })
  period!: number;

  /** Bumped by each PUT: a lease taken before it is neither settled nor handed back. */
  @Column({ type: 'integer' })
  epoch!: number;

  @Column({ type: Date })
  updatedAt!: Date;

  @Column({ type: 'varchar', length: 340 })
  updatedBy!: string;

  @Column({ type: 'uuid', nullable: true })
  updatedById!: string | null;
}

/** What `row` holds at `atMs`, and the refill period that is: a refill that is due counts as made. */
export function balanceAt(row: CreditAccount, atMs: number): { balance: number; period: number } {
  const period = refillPeriodOf(row.refillInterval, atMs);
  const due = row.refillAmount !== null && row.period < period;
  return { balance: due ? row.refillAmount! : row.balance, period };
}

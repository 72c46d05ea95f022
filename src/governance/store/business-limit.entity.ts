import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { LimitWindow } from '../../throttle/shared-limits';

/** A business's named shared limit: caps that its tokens count against together. */
@Entity({ name: 'business_limits' })
export class BusinessLimit {
  @PrimaryColumn({ type: 'uuid' })
  businessId!: string;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  name!: string;

  /** `time_window`: `window` is a reserved word of PostgreSQL's. */
  @Column({ name: 'time_window', type: 'varchar', length: 8 })
  window!: LimitWindow;

  /** All of the business's tokens together; null: no such cap. */
  @Column({ type: 'integer', nullable: true })
  perBusiness!: number | null;

  /** Each identity's tokens together; null: no such cap (but for an override). */
  @Column({ type: 'integer', nullable: true })
  perIdentity!: number | null;

  @Column({ type: Date })
  updatedAt!: Date;

  /** The actor's label (an email, or `machine:<name>`). */
  @Column({ type: 'varchar', length: 340 })
  updatedBy!: string;

  @Column({ type: 'uuid', nullable: true })
  updatedById!: string | null;
}

/** One identity's own cap under a named limit, in place of the limit's `perIdentity`. */
@Entity({ name: 'business_limit_overrides' })
export class BusinessLimitOverride {
  @PrimaryColumn({ type: 'uuid' })
  businessId!: string;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  name!: string;

  @PrimaryColumn({ type: 'uuid' })
  identityId!: string;

  @Column({ type: 'integer' })
  perIdentity!: number;
}

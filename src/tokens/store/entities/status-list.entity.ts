import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Places in one list: 32 KiB of 2-bit statuses, a few dozen bytes compressed while most are valid. */
export const STATUS_LIST_CAPACITY = 131_072;

/**
 * A Token Status List of one business (none: the platform's tokens): `capacity` places, handed
 * out once each in order (`nextIndex`), never reused. Its bits are read from its tokens' rows, so
 * a revocation changes them in its own transaction (`src/tokens/status/`).
 */
@Entity({ name: 'status_lists' })
export class StatusList {
  /** Random: the list's address, which says nothing of its business. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid', nullable: true })
  businessId!: string | null;

  @Column({ type: 'integer' })
  capacity!: number;

  @Column({ type: 'integer' })
  nextIndex!: number;

  @Column({ type: Date })
  createdAt!: Date;
}

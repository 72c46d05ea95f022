import { Column, Entity, PrimaryColumn } from 'typeorm';

export const AUDIT_OUTCOMES = ['success', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** The chain of platform-wide events (businesses, platform admins, users, platform tokens). */
export const PLATFORM_CHAIN = 'platform';

/**
 * One entry of an append-only, hash-chained log. Each business has its own chain, and the
 * platform has one more; `seq` counts up from 1 within a chain without gaps.
 */
@Entity({ name: 'audit_events' })
export class AuditEvent {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** The business id, or `platform`. */
  @Column({ type: 'varchar', length: 64 })
  chainId!: string;

  @Column({ type: 'integer' })
  seq!: number;

  /** Null for platform events. */
  @Column({ type: 'uuid', nullable: true })
  businessId!: string | null;

  /** Set by the app, with milliseconds, so the hash is the same on every database. */
  @Column({ type: Date })
  occurredAt!: Date;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ type: 'varchar', length: 16 })
  outcome!: AuditOutcome;

  @Column({ type: 'varchar', length: 36, nullable: true })
  actorId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  actorType!: string;

  @Column({ type: 'varchar', length: 340 })
  actorLabel!: string;

  /** The token the actor acted with; null for the system, the CLI, and events before it was kept. */
  @Column({ type: 'varchar', length: 36, nullable: true })
  actorTokenId!: string | null;

  /** Who issued that token (its maker's identity id and label). */
  @Column({ type: 'varchar', length: 36, nullable: true })
  actorIssuedById!: string | null;

  @Column({ type: 'varchar', length: 340, nullable: true })
  actorIssuedByLabel!: string | null;

  /** The way in: `api`, `cli` or `system`; null only for events written before it was kept. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  origin!: string | null;

  @Column({ type: 'varchar', length: 32 })
  targetType!: string;

  @Column({ type: 'varchar', length: 36, nullable: true })
  targetId!: string | null;

  @Column({ type: 'varchar', length: 340, nullable: true })
  targetLabel!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  /** The event's details as canonical JSON text: a reason, the filters used, ids touched. */
  @Column({ type: 'text' })
  metadata!: string;

  @Column({ type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}

/**
 * The last `seq` and hash of a chain. Every append bumps `seq` here first, which takes the row
 * lock on PostgreSQL (and the write lock on SQLite): appends to one chain are serialized, and a
 * deleted tail no longer matches the head.
 */
@Entity({ name: 'audit_chain_heads' })
export class AuditChainHead {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  chainId!: string;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}

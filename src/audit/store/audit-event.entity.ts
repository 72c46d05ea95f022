import { Column, ColumnOptions, Entity, PrimaryColumn } from 'typeorm';
import { AUDIT_FIELD_LIST, AuditEventFields, AuditField } from '../codec/audit-fields';

export { AUDIT_OUTCOMES, AuditOutcome } from '../codec/audit-fields';

/** The chain of platform-wide events (businesses, platform admins, users, platform tokens). */
export const PLATFORM_CHAIN = 'platform';

/* eslint-disable @typescript-eslint/no-unsafe-declaration-merging -- the fields are declared once,
   in AUDIT_FIELDS: the interface gives the class their types, and their columns are applied to
   it below. */
export interface AuditEvent extends AuditEventFields {
  chainId: string;
}

/**
 * One entry of an append-only, hash-chained log. Each business has its own chain, and the
 * platform has one more; `seq` counts up from 1 within a chain without gaps.
 */
@Entity({ name: 'audit_events' })
export class AuditEvent {
  /** The business id, or `platform`: where the event is stored, not part of it. */
  @Column({ type: 'varchar', length: 64 })
  chainId!: string;
}
/* eslint-enable @typescript-eslint/no-unsafe-declaration-merging */

/** The column a field is stored in, as the migrations made it. */
function columnOptions(field: AuditField): ColumnOptions {
  const common = { name: field.column, nullable: field.nullable ?? false };
  switch (field.type) {
    case 'uuid':
      return { ...common, type: 'uuid' };
    case 'text':
      return { ...common, type: 'varchar', length: field.length };
    case 'integer':
      return { ...common, type: 'integer' };
    case 'instant':
      return { ...common, type: Date };
    case 'json':
      return { ...common, type: 'text' };
    case 'sha256':
      return { ...common, type: 'varchar', length: 64 };
  }
}

for (const field of AUDIT_FIELD_LIST) {
  const decorate =
    field.column === 'id'
      ? PrimaryColumn({ name: field.column, type: 'uuid' })
      : Column(columnOptions(field));
  decorate(AuditEvent.prototype, field.property);
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

  /** How many of the chain's events its Merkle tree holds: `seq`, once it has caught up. */
  @Column({ type: 'integer', default: 0 })
  treeSize!: number;

  /** The tree's perfect subtrees' hashes, largest first, in hex: what the next append extends. */
  @Column({ type: 'text', default: '' })
  frontier!: string;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One perfect subtree of a chain's Merkle tree: the `2^level` events from leaf
 * `nodeIndex · 2^level`. Written once, by the append that completes it; a proof reads O(log n).
 */
@Entity({ name: 'audit_tree_nodes' })
export class AuditTreeNode {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  chainId!: string;

  @PrimaryColumn({ type: 'integer' })
  level!: number;

  @PrimaryColumn({ type: 'integer' })
  nodeIndex!: number;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}

/** A signed checkpoint of a chain: its tree's size and root, as a C2SP signed note. */
@Entity({ name: 'audit_checkpoints' })
export class AuditCheckpoint {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  chainId!: string;

  @PrimaryColumn({ type: 'integer' })
  treeSize!: number;

  /** The root, in hex (the note holds it in base64). */
  @Column({ type: 'varchar', length: 64 })
  rootHash!: string;

  @Column({ type: 'varchar', length: 255 })
  keyName!: string;

  /** The signing key's id, 8 hex digits, as its verifier key text spells it. */
  @Column({ type: 'varchar', length: 8 })
  keyId!: string;

  /** The whole signed note, byte for byte as it was signed and served. */
  @Column({ type: 'text' })
  note!: string;

  @Column({ type: Date })
  signedAt!: Date;
}

import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Each audit chain's RFC 6962 Merkle tree, beside its hash chain:
 * - the head keeps how many events the tree holds and its frontier (the hex hashes of its
 *   perfect subtrees, largest first), so an append extends it in O(log n);
 * - `audit_tree_nodes` keeps every perfect subtree once, so a proof reads O(log n) rows;
 * - `audit_checkpoints` keeps the signed checkpoints (C2SP tlog-checkpoint notes).
 *
 * Chains that exist already start with an empty tree (`tree_size` 0): the checkpointer grows
 * their trees from their events before it signs, a batch per transaction.
 */
export class AuditMerkleTree1764300000000 implements MigrationInterface {
  name = 'AuditMerkleTree1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.addColumns('audit_chain_heads', [
      new TableColumn({ name: 'tree_size', type: 'integer', default: 0 }),
      new TableColumn({ name: 'frontier', type: 'text', default: "''" }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'audit_tree_nodes',
        columns: [
          { name: 'chain_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'level', type: 'integer', isPrimary: true },
          { name: 'node_index', type: 'integer', isPrimary: true },
          { name: 'hash', type: 'varchar', length: '64' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_checkpoints',
        columns: [
          { name: 'chain_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'tree_size', type: 'integer', isPrimary: true },
          { name: 'root_hash', type: 'varchar', length: '64' },
          { name: 'key_name', type: 'varchar', length: '255' },
          { name: 'key_id', type: 'varchar', length: '8' },
          { name: 'note', type: 'text' },
          { name: 'signed_at', type: t.timestamp },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_checkpoints');
    await queryRunner.dropTable('audit_tree_nodes');
    await queryRunner.dropColumn('audit_chain_heads', 'frontier');
    await queryRunner.dropColumn('audit_chain_heads', 'tree_size');
  }
}

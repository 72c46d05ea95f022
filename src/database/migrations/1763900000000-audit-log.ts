import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * The audit log and its chain heads. The indexes serve newest-first keyset pages, per business
 * and across the platform, with or without an action, actor or target filter; and walks of one
 * chain in `seq` order for export and verify.
 */
export class AuditLog1763900000000 implements MigrationInterface {
  name = 'AuditLog1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);

    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'chain_id', type: 'varchar', length: '64' },
          { name: 'seq', type: 'integer' },
          { name: 'business_id', type: t.uuid, isNullable: true },
          { name: 'occurred_at', type: t.timestamp },
          { name: 'action', type: 'varchar', length: '64' },
          { name: 'outcome', type: 'varchar', length: '16' },
          { name: 'actor_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'actor_type', type: 'varchar', length: '16' },
          { name: 'actor_label', type: 'varchar', length: '340' },
          { name: 'target_type', type: 'varchar', length: '32' },
          { name: 'target_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'target_label', type: 'varchar', length: '340', isNullable: true },
          { name: 'request_id', type: 'varchar', length: '128', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '512', isNullable: true },
          { name: 'metadata', type: 'text' },
          { name: 'prev_hash', type: 'varchar', length: '64' },
          { name: 'hash', type: 'varchar', length: '64' },
        ],
        indices: [
          { name: 'ux_audit_events_chain_seq', columnNames: ['chain_id', 'seq'], isUnique: true },
          { name: 'ix_audit_events_business', columnNames: ['business_id', 'occurred_at', 'id'] },
          {
            name: 'ix_audit_events_business_action',
            columnNames: ['business_id', 'action', 'occurred_at', 'id'],
          },
          {
            name: 'ix_audit_events_business_actor',
            columnNames: ['business_id', 'actor_id', 'occurred_at', 'id'],
          },
          {
            name: 'ix_audit_events_business_target',
            columnNames: ['business_id', 'target_id', 'occurred_at', 'id'],
          },
          { name: 'ix_audit_events_time', columnNames: ['occurred_at', 'id'] },
          { name: 'ix_audit_events_action', columnNames: ['action', 'occurred_at', 'id'] },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'audit_chain_heads',
        columns: [
          { name: 'chain_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'seq', type: 'integer' },
          { name: 'hash', type: 'varchar', length: '64' },
        ],
      }),
    );

    if (queryRunner.connection.driver.options.type === 'postgres') {
      // Append-only at the database too, on the driver that has real triggers: an UPDATE,
      // DELETE or TRUNCATE of audit_events fails. Tamper tests disable these triggers first.
      await queryRunner.query(`
        CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
        END $$`);
      await queryRunner.query(`
        CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`);
      await queryRunner.query(`
        CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_chain_heads');
    await queryRunner.dropTable('audit_events');
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.query('DROP FUNCTION IF EXISTS audit_events_refuse_change()');
    }
  }
}

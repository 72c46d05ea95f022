import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Webhooks: each business's endpoints, the outbox of messages written in the
 * transaction of the change they tell of, and every attempt at delivering one.
 */
export class Webhooks1764400000000 implements MigrationInterface {
  name = 'Webhooks1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'webhook_endpoints',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'chain_id', type: 'varchar', length: '64' },
          { name: 'url', type: 'varchar', length: '2048' },
          { name: 'description', type: 'varchar', length: '500' },
          { name: 'event_types', type: 'text' },
          // v1 (HMAC-SHA256 with the endpoint's secret) or v1a (Ed25519, the installation's key).
          { name: 'signature_scheme', type: 'varchar', length: '8', default: "'v1'" },
          { name: 'secret_sealed', type: 'text' },
          { name: 'previous_secret_sealed', type: 'text', isNullable: true },
          { name: 'previous_secret_until', type: t.timestamp, isNullable: true },
          { name: 'disabled_at', type: t.timestamp, isNullable: true },
          { name: 'disabled_reason', type: 'varchar', length: '16', isNullable: true },
          { name: 'failing_since', type: t.timestamp, isNullable: true },
          { name: 'created_at', type: t.timestamp },
          { name: 'updated_at', type: t.timestamp },
        ],
        indices: [{ name: 'ix_webhook_endpoints_chain', columnNames: ['chain_id', 'id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_messages',
        columns: [
          { name: 'id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'endpoint_id', type: t.uuid },
          { name: 'chain_id', type: 'varchar', length: '64' },
          { name: 'event_type', type: 'varchar', length: '64' },
          { name: 'payload', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer' },
          { name: 'next_attempt_at', type: t.timestamp },
          { name: 'created_at', type: t.timestamp },
          { name: 'delivered_at', type: t.timestamp, isNullable: true },
        ],
        indices: [
          // The workers' claim: due pending messages, oldest first.
          { name: 'ix_webhook_messages_due', columnNames: ['status', 'next_attempt_at'] },
          { name: 'ix_webhook_messages_endpoint', columnNames: ['endpoint_id', 'created_at'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_attempts',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'message_id', type: 'varchar', length: '40' },
          { name: 'endpoint_id', type: t.uuid },
          { name: 'event_type', type: 'varchar', length: '64' },
          { name: 'attempted_at', type: t.timestamp },
          { name: 'status_code', type: 'integer', isNullable: true },
          { name: 'latency_ms', type: 'integer' },
          { name: 'response_body', type: 'varchar', length: '1024' },
          { name: 'error', type: 'varchar', length: '32', isNullable: true },
        ],
        indices: [
          { name: 'ix_webhook_attempts_endpoint', columnNames: ['endpoint_id', 'attempted_at'] },
          { name: 'ix_webhook_attempts_message', columnNames: ['message_id'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_attempts');
    await queryRunner.dropTable('webhook_messages');
    await queryRunner.dropTable('webhook_endpoints');
  }
}

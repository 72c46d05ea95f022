import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Each business's own v1a webhook key: the keys are derived from the installation's
 * webhook key and the chain's id, so nothing is stored for them but the generation of the chains
 * that rotated theirs (no row: generation 0).
 */
export class WebhookKeyGenerations1764640000000 implements MigrationInterface {
  name = 'WebhookKeyGenerations1764640000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'webhook_key_generations',
        columns: [
          { name: 'chain_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'generation', type: 'integer' },
          { name: 'rotated_at', type: t.timestamp },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_key_generations');
  }
}

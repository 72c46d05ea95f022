import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Per-token usage: requests per token and UTC hour, and the client addresses each
 * token was used from; both kept 30 days. Also the index the token list sorted by last use
 * walks.
 */
export class TokenUsage1764610000000 implements MigrationInterface {
  name = 'TokenUsage1764610000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'token_usage_hours',
        columns: [
          { name: 'token_id', type: t.uuid, isPrimary: true },
          { name: 'hour', type: t.timestamp, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'requests', type: 'integer' },
          { name: 'ok_count', type: 'integer' },
          { name: 'client_error_count', type: 'integer' },
        ],
        // Retention deletes by age across tokens.
        indices: [{ name: 'ix_token_usage_hours_hour', columnNames: ['hour'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'token_usage_ips',
        columns: [
          { name: 'token_id', type: t.uuid, isPrimary: true },
          { name: 'ip', type: 'varchar', length: '45', isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'last_seen_at', type: t.timestamp },
        ],
        indices: [{ name: 'ix_token_usage_ips_seen', columnNames: ['last_seen_at'] }],
      }),
    );
    await queryRunner.createIndex(
      'api_tokens',
      new TableIndex({
        name: 'ix_api_tokens_business_last_used',
        columnNames: ['business_id', 'last_used_at', 'id'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('api_tokens', 'ix_api_tokens_business_last_used');
    await queryRunner.dropTable('token_usage_ips');
    await queryRunner.dropTable('token_usage_hours');
  }
}

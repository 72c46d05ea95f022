import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { columnTypes } from './column-types';

/** The expiry notices sent, one row per token and notice. */
export class TokenExpiryNotices1764500000000 implements MigrationInterface {
  name = 'TokenExpiryNotices1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'token_expiry_notices',
        columns: [
          { name: 'token_id', type: t.uuid, isPrimary: true },
          { name: 'notice', type: 'varchar', length: '16', isPrimary: true },
          { name: 'sent_at', type: t.timestamp },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('token_expiry_notices');
  }
}

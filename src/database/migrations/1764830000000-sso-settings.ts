import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { columnTypes } from './column-types';

/** Each business's console sign-in setting (`sso_settings`); a business without a row keeps tokens. */
export class SsoSettings1764830000000 implements MigrationInterface {
  name = 'SsoSettings1764830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'sso_settings',
        columns: [
          { name: 'business_id', type: t.uuid, isPrimary: true },
          { name: 'token_sign_in', type: 'boolean' },
          { name: 'updated_at', type: t.timestamp },
          { name: 'updated_by', type: 'varchar', length: '340' },
        ],
        foreignKeys: [
          {
            columnNames: ['business_id'],
            referencedTableName: 'businesses',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sso_settings');
  }
}

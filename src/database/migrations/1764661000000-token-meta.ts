import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * A token's `meta`: the caller's own JSON object about it, at most 4 KiB (the API
 * bounds it), stored as text. Added with SQLite's own ADD COLUMN, as
 * `1764600000000-token-constraints.ts` explains.
 */
export class TokenMeta1764661000000 implements MigrationInterface {
  name = 'TokenMeta1764661000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.addColumn(
        'api_tokens',
        new TableColumn({ name: 'meta', type: t.json, isNullable: true }),
      );
      return;
    }
    await queryRunner.query(`ALTER TABLE "api_tokens" ADD COLUMN "meta" ${t.json} NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.dropColumn('api_tokens', 'meta');
      return;
    }
    await queryRunner.query('ALTER TABLE "api_tokens" DROP COLUMN "meta"');
  }
}

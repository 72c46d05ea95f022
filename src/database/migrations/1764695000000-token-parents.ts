import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

const INDEX = 'ix_api_tokens_parent';

/**
 * The token each token descends from (`parent_token_id`): the token whose request made it, or,
 * for a successor, the token it replaced. Pausing a token with its children walks it down.
 * Tokens made before this column existed have none recorded. Added with SQLite's own ADD COLUMN,
 * as `1764600000000-token-constraints.ts` explains (TypeORM's copies the table and drops its
 * triggers); the index serves the walk, one parent at a time.
 */
export class TokenParents1764695000000 implements MigrationInterface {
  name = 'TokenParents1764695000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.addColumn(
        'api_tokens',
        new TableColumn({ name: 'parent_token_id', type: t.uuid, isNullable: true }),
      );
    } else {
      await queryRunner.query(
        `ALTER TABLE "api_tokens" ADD COLUMN "parent_token_id" ${t.uuid} NULL`,
      );
    }
    await queryRunner.createIndex(
      'api_tokens',
      new TableIndex({ name: INDEX, columnNames: ['parent_token_id'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('api_tokens', INDEX);
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.dropColumn('api_tokens', 'parent_token_id');
      return;
    }
    await queryRunner.query('ALTER TABLE "api_tokens" DROP COLUMN "parent_token_id"');
  }
}

import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * When a secret scanner first reported a token as found in public: set once,
 * by a conditional UPDATE in the transaction that records `token.leaked`, so a business hears of
 * a leak once, whether the report revoked the token or found it revoked already. Tokens the
 * scanner revoked before this column existed are marked as told. Added with SQLite's own ADD
 * COLUMN, as `1764600000000-token-constraints.ts` explains (TypeORM's copies the table and drops
 * its triggers).
 */
export class LeakReported1764630000000 implements MigrationInterface {
  name = 'LeakReported1764630000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.addColumn(
        'api_tokens',
        new TableColumn({ name: 'leak_reported_at', type: t.timestamp, isNullable: true }),
      );
    } else {
      await queryRunner.query(
        `ALTER TABLE "api_tokens" ADD COLUMN "leak_reported_at" ${t.timestamp} NULL`,
      );
    }
    await queryRunner.query(
      'UPDATE "api_tokens" SET "leak_reported_at" = "revoked_at" ' +
        'WHERE "revocation_reason" = \'leaked\' AND "revoked_by" = \'github-secret-scanning\'',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.dropColumn('api_tokens', 'leak_reported_at');
      return;
    }
    await queryRunner.query('ALTER TABLE "api_tokens" DROP COLUMN "leak_reported_at"');
  }
}

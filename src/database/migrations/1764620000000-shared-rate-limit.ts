import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { RATE_LIMIT_PER_MINUTE_MAX } from '../../common/validation/byte-budget';
import { columnTypes } from './column-types';

const BOUND = 'ck_api_tokens_shared_limit_per_minute_range';
const REFUSED = `shared_limit_per_minute < 1 OR shared_limit_per_minute > ${RATE_LIMIT_PER_MINUTE_MAX}`;

/**
 * The window a limited maker's tokens are counted in beside their own: the
 * maker's id and its limit, copied to every token it makes and rotates, so that neither a new
 * token nor a successor buys a fresh minute. Added as `1764600000000-token-constraints.ts` adds
 * the constraints: SQLite's own ADD COLUMN (TypeORM's copies the table and drops its triggers),
 * bounded by a CHECK on PostgreSQL and a pair of triggers on SQLite.
 */
export class SharedRateLimit1764620000000 implements MigrationInterface {
  name = 'SharedRateLimit1764620000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.addColumns('api_tokens', [
        new TableColumn({ name: 'shared_limit_id', type: t.uuid, isNullable: true }),
        new TableColumn({ name: 'shared_limit_per_minute', type: 'integer', isNullable: true }),
      ]);
      await queryRunner.query(
        `ALTER TABLE "api_tokens" ADD CONSTRAINT "${BOUND}" CHECK (NOT (${REFUSED}))`,
      );
      return;
    }
    await queryRunner.query(`ALTER TABLE "api_tokens" ADD COLUMN "shared_limit_id" ${t.uuid} NULL`);
    await queryRunner.query(
      'ALTER TABLE "api_tokens" ADD COLUMN "shared_limit_per_minute" integer NULL',
    );
    const refuse = `WHEN ${REFUSED.replace(/shared_limit_per_minute/g, 'NEW.$&')} BEGIN SELECT RAISE(ABORT, '${BOUND}'); END`;
    await queryRunner.query(
      `CREATE TRIGGER "${BOUND}_insert" BEFORE INSERT ON "api_tokens" ${refuse}`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "${BOUND}_update" BEFORE UPDATE ON "api_tokens" ${refuse}`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "${BOUND}"`);
      await queryRunner.dropColumn('api_tokens', 'shared_limit_per_minute');
      await queryRunner.dropColumn('api_tokens', 'shared_limit_id');
      return;
    }
    await queryRunner.query(`DROP TRIGGER "${BOUND}_insert"`);
    await queryRunner.query(`DROP TRIGGER "${BOUND}_update"`);
    await queryRunner.query('ALTER TABLE "api_tokens" DROP COLUMN "shared_limit_per_minute"');
    await queryRunner.query('ALTER TABLE "api_tokens" DROP COLUMN "shared_limit_id"');
  }
}

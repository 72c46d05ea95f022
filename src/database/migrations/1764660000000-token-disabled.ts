import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types';

/** The columns, in the order they are added (and dropped in reverse). */
const columns = (t: ReturnType<typeof columnTypes>) => [
  { name: 'disabled_at', type: t.timestamp, sql: t.timestamp },
  { name: 'disabled_by', type: 'varchar', length: '340', sql: 'varchar(340)' },
  { name: 'disabled_by_id', type: t.uuid, sql: t.uuid },
  { name: 'disabled_reason', type: 'varchar', length: '500', sql: 'varchar(500)' },
];

/**
 * A token paused without being revoked: when, by whom and why. Null `disabled_at` is
 * a token that speaks. Added with SQLite's own ADD COLUMN, as `1764600000000-token-constraints.ts`
 * explains (TypeORM's copies the table and drops its triggers).
 */
export class TokenDisabled1764660000000 implements MigrationInterface {
  name = 'TokenDisabled1764660000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.addColumns(
        'api_tokens',
        columns(t).map(({ sql: _sql, ...c }) => new TableColumn({ ...c, isNullable: true })),
      );
      return;
    }
    for (const c of columns(t)) {
      await queryRunner.query(`ALTER TABLE "api_tokens" ADD COLUMN "${c.name}" ${c.sql} NULL`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    for (const c of columns(t).reverse()) {
      if (queryRunner.connection.driver.options.type === 'postgres') {
        await queryRunner.dropColumn('api_tokens', c.name);
      } else {
        await queryRunner.query(`ALTER TABLE "api_tokens" DROP COLUMN "${c.name}"`);
      }
    }
  }
}

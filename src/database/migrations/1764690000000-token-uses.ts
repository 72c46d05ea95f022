import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** The columns, in the order they are added (and dropped in reverse). */
const COLUMNS = [
  { name: 'uses_limit', type: 'integer', sql: 'integer' },
  { name: 'uses_remaining', type: 'integer', sql: 'integer' },
  { name: 'uses_period', type: 'integer', sql: 'integer' },
  { name: 'refill_interval', type: 'varchar', length: '8', sql: 'varchar(8)' },
  { name: 'refill_amount', type: 'integer', sql: 'integer' },
];

/**
 * Uses that run out: a token's `uses_limit`, the uses it has left (`uses_remaining`,
 * never above what was really left: see `token-uses-ledger.ts`), the refill period that count
 * belongs to, and the refill itself. Null `uses_limit` is a token with no limit of uses. Added
 * with SQLite's own ADD COLUMN, as `1764600000000-token-constraints.ts` explains.
 */
export class TokenUses1764690000000 implements MigrationInterface {
  name = 'TokenUses1764690000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.addColumns(
        'api_tokens',
        COLUMNS.map(({ sql: _sql, ...c }) => new TableColumn({ ...c, isNullable: true })),
      );
      return;
    }
    for (const c of COLUMNS) {
      await queryRunner.query(`ALTER TABLE "api_tokens" ADD COLUMN "${c.name}" ${c.sql} NULL`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const c of [...COLUMNS].reverse()) {
      if (queryRunner.connection.driver.options.type === 'postgres') {
        await queryRunner.dropColumn('api_tokens', c.name);
      } else {
        await queryRunner.query(`ALTER TABLE "api_tokens" DROP COLUMN "${c.name}"`);
      }
    }
  }
}

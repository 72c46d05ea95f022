import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import {
  ALLOWED_CIDRS_JSON_MAX,
  RATE_LIMIT_PER_MINUTE_MAX,
} from '../../common/validation/byte-budget';
import { columnTypes } from './column-types';

/** What the database itself refuses in the new columns, whatever path writes them. */
const BOUNDS: readonly [name: string, refused: string][] = [
  ['ck_api_tokens_allowed_cidrs_length', `length(allowed_cidrs) > ${ALLOWED_CIDRS_JSON_MAX}`],
  [
    'ck_api_tokens_rate_limit_per_minute_range',
    `rate_limit_per_minute < 1 OR rate_limit_per_minute > ${RATE_LIMIT_PER_MINUTE_MAX}`,
  ],
];

/**
 * Per-token constraints: the networks a token may be used from, and a limit of its
 * own. Bounded in the database as `1764200000000-byte-budget.ts` bounds the other columns: a
 * CHECK on PostgreSQL (valid at once, the columns being new), a pair of triggers on SQLite.
 */
export class TokenConstraints1764600000000 implements MigrationInterface {
  name = 'TokenConstraints1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    const pg = queryRunner.connection.driver.options.type === 'postgres';
    if (pg) {
      await queryRunner.addColumns('api_tokens', [
        new TableColumn({ name: 'allowed_cidrs', type: t.json, isNullable: true }),
        new TableColumn({ name: 'rate_limit_per_minute', type: 'integer', isNullable: true }),
      ]);
    } else {
      // TypeORM adds a column on SQLite by copying the whole table into a new one, which drops
      // its triggers (the byte budget's bounds on name, scopes, reason…) and takes as long as
      // the table is big. SQLite's own ADD COLUMN keeps both: a nullable column with no default
      // is a change to the schema alone.
      await queryRunner.query(`ALTER TABLE "api_tokens" ADD COLUMN "allowed_cidrs" ${t.json} NULL`);
      await queryRunner.query(
        'ALTER TABLE "api_tokens" ADD COLUMN "rate_limit_per_minute" integer NULL',
      );
    }
    for (const [name, refused] of BOUNDS) {
      if (pg) {
        await queryRunner.query(
          `ALTER TABLE "api_tokens" ADD CONSTRAINT "${name}" CHECK (NOT (${refused}))`,
        );
        continue;
      }
      const refuse = `WHEN ${refused.replace(/(allowed_cidrs|rate_limit_per_minute)/g, 'NEW.$1')} BEGIN SELECT RAISE(ABORT, '${name}'); END`;
      await queryRunner.query(
        `CREATE TRIGGER "${name}_insert" BEFORE INSERT ON "api_tokens" ${refuse}`,
      );
      await queryRunner.query(
        `CREATE TRIGGER "${name}_update" BEFORE UPDATE ON "api_tokens" ${refuse}`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const pg = queryRunner.connection.driver.options.type === 'postgres';
    for (const [name] of BOUNDS) {
      if (pg) await queryRunner.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "${name}"`);
      else {
        await queryRunner.query(`DROP TRIGGER "${name}_insert"`);
        await queryRunner.query(`DROP TRIGGER "${name}_update"`);
      }
    }
    if (pg) {
      await queryRunner.dropColumn('api_tokens', 'rate_limit_per_minute');
      await queryRunner.dropColumn('api_tokens', 'allowed_cidrs');
    } else {
      // As in up: SQLite's own DROP COLUMN keeps the table's other triggers.
      await queryRunner.query('ALTER TABLE "api_tokens" DROP COLUMN "rate_limit_per_minute"');
      await queryRunner.query('ALTER TABLE "api_tokens" DROP COLUMN "allowed_cidrs"');
    }
  }
}

import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { AUDIENCES_JSON_MAX } from '../../common/validation/byte-budget';
import { columnTypes } from './column-types';

const AUDIENCES_BOUND = 'ck_api_tokens_audiences_length';
const REQUIRE_DPOP_BOUND = 'ck_business_token_policies_require_dpop';

/**
 * The bindings of a token: `api_tokens.audiences`, the resources (RFC 8707 URIs, as JSON) it may
 * be used at, null for anywhere; `business_token_policies.require_dpop`, `all` or `machines` when
 * the business's new tokens must be bound to a key; and `trust_rules.require_dpop`, when an
 * exchange must prove a key to bind its token to. Bounded in the database as
 * `1764600000000-token-constraints.ts` bounds its columns (a CHECK on PostgreSQL, triggers on
 * SQLite, added with SQLite's own ADD COLUMN, which keeps the tables' triggers).
 */
export class TokenBindingRules1764730000000 implements MigrationInterface {
  name = 'TokenBindingRules1764730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    const audiencesRefused = `length(audiences) > ${AUDIENCES_JSON_MAX}`;
    const dpopRefused = "require_dpop NOT IN ('all', 'machines')";
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.addColumn(
        'api_tokens',
        new TableColumn({ name: 'audiences', type: t.json, isNullable: true }),
      );
      await queryRunner.addColumn(
        'business_token_policies',
        new TableColumn({ name: 'require_dpop', type: 'varchar', length: '16', isNullable: true }),
      );
      await queryRunner.addColumn(
        'trust_rules',
        new TableColumn({ name: 'require_dpop', type: 'boolean', default: false }),
      );
      await queryRunner.query(
        `ALTER TABLE "api_tokens" ADD CONSTRAINT "${AUDIENCES_BOUND}" CHECK (NOT (${audiencesRefused}))`,
      );
      await queryRunner.query(
        `ALTER TABLE "business_token_policies" ADD CONSTRAINT "${REQUIRE_DPOP_BOUND}" CHECK (NOT (${dpopRefused}))`,
      );
      return;
    }
    await queryRunner.query(`ALTER TABLE "api_tokens" ADD COLUMN "audiences" ${t.json} NULL`);
    await queryRunner.query(
      'ALTER TABLE "business_token_policies" ADD COLUMN "require_dpop" varchar(16) NULL',
    );
    await queryRunner.query(
      'ALTER TABLE "trust_rules" ADD COLUMN "require_dpop" boolean NOT NULL DEFAULT (0)',
    );
    await refuseOnSqlite(queryRunner, 'api_tokens', AUDIENCES_BOUND, audiencesRefused, 'audiences');
    await refuseOnSqlite(
      queryRunner,
      'business_token_policies',
      REQUIRE_DPOP_BOUND,
      dpopRefused,
      'require_dpop',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const pg = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.query('ALTER TABLE "trust_rules" DROP COLUMN "require_dpop"');
    for (const [table, name, column] of [
      ['business_token_policies', REQUIRE_DPOP_BOUND, 'require_dpop'],
      ['api_tokens', AUDIENCES_BOUND, 'audiences'],
    ]) {
      if (pg) {
        await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${name}"`);
      } else {
        await queryRunner.query(`DROP TRIGGER "${name}_insert"`);
        await queryRunner.query(`DROP TRIGGER "${name}_update"`);
      }
      await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "${column}"`);
    }
  }
}

/** A pair of triggers that refuse a row where `refused` holds, as a CHECK would. */
async function refuseOnSqlite(
  queryRunner: QueryRunner,
  table: string,
  name: string,
  refused: string,
  column: string,
): Promise<void> {
  const when = refused.replace(new RegExp(`\\b${column}\\b`, 'g'), `NEW.${column}`);
  const refuse = `WHEN ${when} BEGIN SELECT RAISE(ABORT, '${name}'); END`;
  for (const op of ['insert', 'update']) {
    await queryRunner.query(
      `CREATE TRIGGER "${name}_${op}" BEFORE ${op.toUpperCase()} ON "${table}" ${refuse}`,
    );
  }
}

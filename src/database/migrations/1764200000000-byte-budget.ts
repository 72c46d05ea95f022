import { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_METADATA_MAX, LIMITS, SCOPES_JSON_MAX } from '../../common/validation/byte-budget';

/**
 * Every stored text column gets a bound the database itself enforces, so a path that skips the
 * DTOs (the CLI, a bulk path, a script) cannot store more: SQLite ignores varchar lengths, and
 * JSON columns are text on both drivers.
 *
 * The bounds hold for new writes only, since old rows (immutable audit events, scopes as issued)
 * would fail a validating constraint, and the start with it: on PostgreSQL a CHECK added
 * `NOT VALID`; on SQLite, where a CHECK needs a copy of the table, a pair of triggers refusing
 * the insert or update. The Table API has neither, hence raw SQL per driver.
 */
const BOUNDS: readonly [table: string, column: string, max: number][] = [
  ['businesses', 'name', LIMITS.businessName],
  ['identities', 'email', 320],
  ['identities', 'name', LIMITS.machineName],
  ['api_tokens', 'name', LIMITS.tokenName],
  ['api_tokens', 'scopes', SCOPES_JSON_MAX],
  ['api_tokens', 'revocation_reason', LIMITS.reason],
  ['api_tokens', 'created_by', 340],
  ['api_tokens', 'revoked_by', 340],
  ['api_tokens', 'preview', 32],
  ['audit_events', 'actor_label', 340],
  ['audit_events', 'target_label', 340],
  ['audit_events', 'request_id', 128],
  ['audit_events', 'ip', 64],
  ['audit_events', 'user_agent', 512],
  ['audit_events', 'metadata', AUDIT_METADATA_MAX],
];

const nameOf = (table: string, column: string) => `ck_${table}_${column}_length`;

export class ByteBudget1764200000000 implements MigrationInterface {
  name = 'ByteBudget1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const pg = queryRunner.connection.driver.options.type === 'postgres';
    for (const [table, column, max] of BOUNDS) {
      const name = nameOf(table, column);
      if (pg) {
        await queryRunner.query(
          `ALTER TABLE "${table}" ADD CONSTRAINT "${name}" ` +
            `CHECK (length("${column}") <= ${max}) NOT VALID`,
        );
        continue;
      }
      const refuse =
        `WHEN length(NEW."${column}") > ${max} BEGIN ` +
        `SELECT RAISE(ABORT, '${table}.${column} is longer than ${max} characters'); END`;
      await queryRunner.query(
        `CREATE TRIGGER "${name}_insert" BEFORE INSERT ON "${table}" ${refuse}`,
      );
      await queryRunner.query(
        `CREATE TRIGGER "${name}_update" BEFORE UPDATE OF "${column}" ON "${table}" ${refuse}`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const pg = queryRunner.connection.driver.options.type === 'postgres';
    for (const [table, column] of BOUNDS) {
      const name = nameOf(table, column);
      if (pg) {
        await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${name}"`);
      } else {
        await queryRunner.query(`DROP TRIGGER "${name}_insert"`);
        await queryRunner.query(`DROP TRIGGER "${name}_update"`);
      }
    }
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_METADATA_MAX, LIMITS, SCOPES_JSON_MAX } from '../../common/byte-budget';

/**
 * Every stored text column has a bound the database itself enforces, so a path that skips the
 * DTOs (the CLI, a bulk path, a script) cannot store more. PostgreSQL's varchar lengths already
 * bind most columns; SQLite ignores them, and the JSON columns are text on both.
 *
 * The bounds hold for new writes only: rows stored before (an audit event can never be changed,
 * and a token's scopes stay as issued) would make a validating constraint fail the migration,
 * and the start with it. So on PostgreSQL each is a CHECK added `NOT VALID` (checked on every
 * insert and update, not on existing rows; `ALTER TABLE … VALIDATE CONSTRAINT` once they are
 * gone), and on SQLite, where a CHECK can only come with a copy of the whole table, a pair of
 * triggers that refuse the insert or update. The Table API has neither form, hence raw SQL per
 * driver, as the audit log's append-only trigger does.
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

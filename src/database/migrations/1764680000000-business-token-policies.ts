import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import {
  ALLOWED_CIDRS_JSON_MAX,
  POLICY_DAYS_MAX,
  POLICY_INACTIVITY_DAYS_MIN,
  SCOPES_JSON_MAX,
} from '../../common/validation/byte-budget';
import { columnTypes } from './column-types';

const days = (column: string, min: number) =>
  `${column} IS NULL OR (${column} >= ${min} AND ${column} <= ${POLICY_DAYS_MAX})`;

/**
 * A business's token policy: one row per business that set one. Its days and JSON
 * lists are bounded in the database too, as a token's own scopes and networks are.
 */
export class BusinessTokenPolicies1764680000000 implements MigrationInterface {
  name = 'BusinessTokenPolicies1764680000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'business_token_policies',
        columns: [
          { name: 'business_id', type: t.uuid, isPrimary: true },
          { name: 'max_lifetime_days', type: 'integer', isNullable: true },
          { name: 'require_expiry', type: 'boolean', default: false },
          { name: 'allowed_scopes', type: t.json, isNullable: true },
          { name: 'required_cidrs', type: t.json, isNullable: true },
          { name: 'inactivity_revoke_days', type: 'integer', isNullable: true },
          { name: 'updated_at', type: t.timestamp },
          { name: 'updated_by', type: 'varchar', length: '340' },
          { name: 'updated_by_id', type: t.uuid, isNullable: true },
        ],
        // What the database itself refuses, whatever path writes (the API refuses it first).
        checks: [
          { name: 'ck_token_policy_max_lifetime', expression: days('max_lifetime_days', 1) },
          {
            name: 'ck_token_policy_inactivity',
            expression: days('inactivity_revoke_days', POLICY_INACTIVITY_DAYS_MIN),
          },
          {
            name: 'ck_token_policy_scopes_length',
            expression: `length(allowed_scopes) <= ${SCOPES_JSON_MAX}`,
          },
          {
            name: 'ck_token_policy_cidrs_length',
            expression: `length(required_cidrs) <= ${ALLOWED_CIDRS_JSON_MAX}`,
          },
        ],
        foreignKeys: [
          {
            columnNames: ['business_id'],
            referencedTableName: 'businesses',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('business_token_policies');
  }
}

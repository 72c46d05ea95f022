import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { columnTypes } from './column-types';

/** The caps' range, as the API takes it (`SHARED_LIMIT_MAX`). */
const cap = (column: string) => `${column} IS NULL OR (${column} >= 1 AND ${column} <= 10000000)`;

/**
 * A business's shared limits (`business_limits`, one row per name) and the identities with a cap
 * of their own under one (`business_limit_overrides`). Bounded in the database too, whatever
 * path writes.
 */
export class BusinessLimits1764770000000 implements MigrationInterface {
  name = 'BusinessLimits1764770000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    const business = {
      columnNames: ['business_id'],
      referencedTableName: 'businesses',
      referencedColumnNames: ['id'],
      onDelete: 'CASCADE',
    };
    await queryRunner.createTable(
      new Table({
        name: 'business_limits',
        columns: [
          { name: 'business_id', type: t.uuid, isPrimary: true },
          { name: 'name', type: 'varchar', length: '32', isPrimary: true },
          { name: 'time_window', type: 'varchar', length: '8' },
          { name: 'per_business', type: 'integer', isNullable: true },
          { name: 'per_identity', type: 'integer', isNullable: true },
          { name: 'updated_at', type: t.timestamp },
          { name: 'updated_by', type: 'varchar', length: '340' },
          { name: 'updated_by_id', type: t.uuid, isNullable: true },
        ],
        checks: [
          {
            name: 'ck_business_limits_window',
            expression: `time_window IN ('second', 'minute', 'hour')`,
          },
          { name: 'ck_business_limits_per_business', expression: cap('per_business') },
          { name: 'ck_business_limits_per_identity', expression: cap('per_identity') },
        ],
        foreignKeys: [business],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'business_limit_overrides',
        columns: [
          { name: 'business_id', type: t.uuid, isPrimary: true },
          { name: 'name', type: 'varchar', length: '32', isPrimary: true },
          { name: 'identity_id', type: t.uuid, isPrimary: true },
          { name: 'per_identity', type: 'integer' },
        ],
        checks: [{ name: 'ck_business_limit_overrides_cap', expression: cap('per_identity') }],
        foreignKeys: [
          {
            columnNames: ['business_id', 'name'],
            referencedTableName: 'business_limits',
            referencedColumnNames: ['business_id', 'name'],
            onDelete: 'CASCADE',
          },
          {
            columnNames: ['identity_id'],
            referencedTableName: 'identities',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('business_limit_overrides');
    await queryRunner.dropTable('business_limits');
  }
}

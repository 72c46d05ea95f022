import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * `business_token_policies.approval_required`: what a business's new tokens need an approver
 * for (scope patterns, a lifetime bound, machine tokens), as JSON; null for nothing. On SQLite
 * the Table API's `addColumn` rebuilds the table, which drops the `require_dpop` triggers
 * (`1764730000000-token-binding-rules.ts`), so there the column is added by SQLite's own ADD
 * COLUMN, which keeps them, as that migration does.
 */
export class ApprovalRules1764810000000 implements MigrationInterface {
  name = 'ApprovalRules1764810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.addColumn(
        'business_token_policies',
        new TableColumn({ name: 'approval_required', type: t.json, isNullable: true }),
      );
      return;
    }
    await queryRunner.query(
      `ALTER TABLE "business_token_policies" ADD COLUMN "approval_required" ${t.json} NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "business_token_policies" DROP COLUMN "approval_required"',
    );
  }
}

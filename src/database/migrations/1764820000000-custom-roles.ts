import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Custom roles: a business's own roles (`custom_roles`, unique by name in the business), and the
 * one a membership holds (`memberships.custom_role_id`, indexed for a role's holders). A role
 * still held is never deleted (the service refuses it in the deleting transaction): its holders
 * would silently get their base role's every scope.
 */
export class CustomRoles1764820000000 implements MigrationInterface {
  name = 'CustomRoles1764820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'custom_roles',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'name', type: 'varchar', length: '40' },
          { name: 'base_role', type: 'varchar', length: '16' },
          { name: 'scopes', type: 'text' },
          { name: 'description', type: 'varchar', length: '300', isNullable: true },
          { name: 'created_at', type: t.timestamp },
          { name: 'updated_at', type: t.timestamp },
          { name: 'updated_by', type: 'varchar', length: '340' },
        ],
        checks: [{ name: 'ck_custom_roles_base', expression: "base_role IN ('admin', 'member')" }],
        foreignKeys: [
          {
            columnNames: ['business_id'],
            referencedTableName: 'businesses',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
        indices: [
          new TableIndex({
            name: 'ux_custom_roles_name',
            columnNames: ['business_id', 'name'],
            isUnique: true,
          }),
        ],
      }),
    );
    await queryRunner.addColumn(
      'memberships',
      new TableColumn({ name: 'custom_role_id', type: t.uuid, isNullable: true }),
    );
    await queryRunner.createIndex(
      'memberships',
      new TableIndex({ name: 'ix_memberships_custom_role', columnNames: ['custom_role_id'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('memberships', 'ix_memberships_custom_role');
    await queryRunner.dropColumn('memberships', 'custom_role_id');
    await queryRunner.dropTable('custom_roles');
  }
}

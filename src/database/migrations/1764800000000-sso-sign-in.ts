import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Console sign-in through an identity provider: each sign-in in flight (`sso_logins`, found by
 * its state's hash or its hand-off's, both unique; old ones swept by `expires_at`), and each
 * business's map from a provider group to a role (`sso_group_roles`, one role per group).
 */
export class SsoSignIn1764800000000 implements MigrationInterface {
  name = 'SsoSignIn1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'sso_logins',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'state_hash', type: 'varchar', length: '64' },
          { name: 'browser_hash', type: 'varchar', length: '64' },
          { name: 'nonce', type: 'varchar', length: '64' },
          { name: 'code_verifier', type: 'varchar', length: '128' },
          { name: 'asked_business_id', type: t.uuid, isNullable: true },
          { name: 'return_to', type: 'varchar', length: '200', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'created_at', type: t.timestamp },
          { name: 'expires_at', type: t.timestamp },
          { name: 'email', type: 'varchar', length: '254', isNullable: true },
          { name: 'business_id', type: t.uuid, isNullable: true },
          { name: 'role', type: 'varchar', length: '16', isNullable: true },
          { name: 'groups', type: t.json, isNullable: true },
          { name: 'handoff_hash', type: 'varchar', length: '64', isNullable: true },
        ],
        checks: [
          {
            name: 'ck_sso_logins_status',
            expression: "status IN ('started', 'used', 'verified', 'collected')",
          },
        ],
      }),
    );
    await queryRunner.createIndices('sso_logins', [
      new TableIndex({ name: 'ux_sso_logins_state', columnNames: ['state_hash'], isUnique: true }),
      new TableIndex({
        name: 'ux_sso_logins_handoff',
        columnNames: ['handoff_hash'],
        isUnique: true,
        where: 'handoff_hash IS NOT NULL',
      }),
      new TableIndex({ name: 'ix_sso_logins_expires', columnNames: ['expires_at'] }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'sso_group_roles',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'group_name', type: 'varchar', length: '256' },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'created_at', type: t.timestamp },
          { name: 'created_by', type: 'varchar', length: '340' },
        ],
        checks: [
          { name: 'ck_sso_group_roles_role', expression: "role IN ('owner', 'admin', 'member')" },
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
    await queryRunner.createIndices('sso_group_roles', [
      new TableIndex({
        name: 'ux_sso_group_roles_group',
        columnNames: ['business_id', 'group_name'],
        isUnique: true,
      }),
      // A sign-in that names no business finds the ones its groups map to.
      new TableIndex({ name: 'ix_sso_group_roles_name', columnNames: ['group_name'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sso_group_roles');
    await queryRunner.dropTable('sso_logins');
  }
}

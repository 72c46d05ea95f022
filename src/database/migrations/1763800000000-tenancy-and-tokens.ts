import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

export class TenancyAndTokens1763800000000 implements MigrationInterface {
  name = 'TenancyAndTokens1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);

    await queryRunner.createTable(
      new Table({
        name: 'businesses',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'created_at', type: t.timestamp },
        ],
        indices: [{ name: 'ix_businesses_created', columnNames: ['created_at', 'id'] }],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'identities',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'email', type: 'varchar', length: '320', isNullable: true },
          { name: 'name', type: 'varchar', length: '100', isNullable: true },
          { name: 'business_id', type: t.uuid, isNullable: true },
          { name: 'is_platform_admin', type: 'boolean', default: false },
          { name: 'created_at', type: t.timestamp },
          { name: 'deleted_at', type: t.timestamp, isNullable: true },
        ],
        foreignKeys: [
          {
            columnNames: ['business_id'],
            referencedTableName: 'businesses',
            referencedColumnNames: ['id'],
          },
        ],
        indices: [
          { name: 'ux_identities_email', columnNames: ['email'], isUnique: true },
          { name: 'ix_identities_business', columnNames: ['business_id', 'created_at', 'id'] },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'memberships',
        columns: [
          { name: 'business_id', type: t.uuid, isPrimary: true },
          { name: 'identity_id', type: t.uuid, isPrimary: true },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'created_at', type: t.timestamp },
        ],
        foreignKeys: [
          {
            columnNames: ['business_id'],
            referencedTableName: 'businesses',
            referencedColumnNames: ['id'],
          },
          {
            columnNames: ['identity_id'],
            referencedTableName: 'identities',
            referencedColumnNames: ['id'],
          },
        ],
        indices: [
          {
            name: 'ix_memberships_business_created',
            columnNames: ['business_id', 'created_at', 'identity_id'],
          },
          { name: 'ix_memberships_identity', columnNames: ['identity_id'] },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'api_tokens',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'jti', type: 'varchar', length: '32' },
          { name: 'business_id', type: t.uuid, isNullable: true },
          { name: 'identity_id', type: t.uuid },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'scopes', type: t.json, isNullable: true },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'preview', type: 'varchar', length: '32' },
          { name: 'created_at', type: t.timestamp },
          { name: 'created_by', type: 'varchar', length: '340' },
          { name: 'expires_at', type: t.timestamp, isNullable: true },
          { name: 'last_used_at', type: t.timestamp, isNullable: true },
          { name: 'revoked_at', type: t.timestamp, isNullable: true },
          { name: 'revoked_by', type: 'varchar', length: '340', isNullable: true },
          { name: 'revoked_by_id', type: t.uuid, isNullable: true },
          { name: 'revocation_reason', type: 'varchar', length: '500', isNullable: true },
          { name: 'rotated_from_id', type: t.uuid, isNullable: true },
        ],
        foreignKeys: [
          {
            columnNames: ['business_id'],
            referencedTableName: 'businesses',
            referencedColumnNames: ['id'],
          },
          {
            columnNames: ['identity_id'],
            referencedTableName: 'identities',
            referencedColumnNames: ['id'],
          },
        ],
      }),
    );
    await queryRunner.createIndices('api_tokens', [
      new TableIndex({ name: 'ux_api_tokens_hash', columnNames: ['token_hash'], isUnique: true }),
      new TableIndex({ name: 'ux_api_tokens_jti', columnNames: ['jti'], isUnique: true }),
      new TableIndex({
        name: 'ix_api_tokens_business_created',
        columnNames: ['business_id', 'created_at', 'id'],
      }),
      new TableIndex({
        name: 'ix_api_tokens_identity',
        columnNames: ['identity_id', 'business_id'],
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('api_tokens');
    await queryRunner.dropTable('memberships');
    await queryRunner.dropTable('identities');
    await queryRunner.dropTable('businesses');
  }
}

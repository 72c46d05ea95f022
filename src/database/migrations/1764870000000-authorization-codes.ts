import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * The authorization codes (`authorization_codes`): each stored only as its SHA-256 (unique), bound
 * to its business, person, client, redirect URI, resource, scopes, PKCE challenge and DPoP key,
 * and redeemed once (`redeemed_at`, set by a conditional UPDATE). A code's row outlives its 60 s
 * for a while, so that a replay is known as one; the sweep reads by `expires_at`.
 */
export class AuthorizationCodes1764870000000 implements MigrationInterface {
  name = 'AuthorizationCodes1764870000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'authorization_codes',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'code_hash', type: 'varchar', length: '64' },
          { name: 'grant_id', type: t.uuid },
          { name: 'identity_id', type: t.uuid },
          { name: 'client_id', type: 'varchar', length: '512' },
          { name: 'redirect_uri', type: 'varchar', length: '512' },
          { name: 'resource', type: 'varchar', length: '256' },
          { name: 'scopes', type: t.json },
          { name: 'code_challenge', type: 'varchar', length: '128' },
          { name: 'dpop_jkt', type: 'varchar', length: '64', isNullable: true },
          { name: 'created_at', type: t.timestamp },
          { name: 'expires_at', type: t.timestamp },
          { name: 'redeemed_at', type: t.timestamp, isNullable: true },
        ],
        foreignKeys: [
          {
            columnNames: ['business_id'],
            referencedTableName: 'businesses',
            referencedColumnNames: ['id'],
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
    await queryRunner.createIndices('authorization_codes', [
      new TableIndex({
        name: 'ux_authorization_codes_hash',
        columnNames: ['code_hash'],
        isUnique: true,
      }),
      new TableIndex({ name: 'ix_authorization_codes_expires', columnNames: ['expires_at'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('authorization_codes');
  }
}

import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

const cascadeTo = (columnNames: string[], referencedTableName: string) => ({
  columnNames,
  referencedTableName,
  referencedColumnNames: ['id'],
  onDelete: 'CASCADE',
});

/**
 * People's consents to clients (`oauth_consents`, one standing per person, client and resource),
 * the grants redeemed codes start (`oauth_grants`: a line of access and refresh tokens), the
 * refresh tokens, each stored only as its SHA-256 (unique) and used once, and the access tokens
 * each grant gave (`oauth_grant_tokens`), which outlive the grant's sweep so a token's
 * verifications are still counted by its client; and the requests for an approver's consent to
 * scopes the business's policy keeps for approvers (`oauth_consent_requests`).
 */
export class OAuthGrants1764880000000 implements MigrationInterface {
  name = 'OAuthGrants1764880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'oauth_consents',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'identity_id', type: t.uuid },
          { name: 'client_id', type: 'varchar', length: '512' },
          { name: 'client_name', type: 'varchar', length: '100', isNullable: true },
          { name: 'resource', type: 'varchar', length: '256' },
          { name: 'scopes', type: t.json },
          { name: 'approved_scopes', type: t.json, isNullable: true },
          { name: 'created_at', type: t.timestamp },
          { name: 'updated_at', type: t.timestamp },
          { name: 'withdrawn_at', type: t.timestamp, isNullable: true },
        ],
        foreignKeys: [
          cascadeTo(['business_id'], 'businesses'),
          cascadeTo(['identity_id'], 'identities'),
        ],
      }),
    );
    await queryRunner.createIndex(
      'oauth_consents',
      new TableIndex({
        name: 'ix_oauth_consents_person',
        columnNames: ['business_id', 'identity_id', 'client_id', 'resource'],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'oauth_grants',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'consent_id', type: t.uuid },
          { name: 'identity_id', type: t.uuid },
          { name: 'client_id', type: 'varchar', length: '512' },
          { name: 'resource', type: 'varchar', length: '256' },
          { name: 'scopes', type: t.json },
          { name: 'dpop_jkt', type: 'varchar', length: '64', isNullable: true },
          { name: 'created_at', type: t.timestamp },
          { name: 'revoked_at', type: t.timestamp, isNullable: true },
          { name: 'revoked_reason', type: 'varchar', length: '32', isNullable: true },
        ],
        foreignKeys: [
          cascadeTo(['business_id'], 'businesses'),
          cascadeTo(['consent_id'], 'oauth_consents'),
        ],
      }),
    );
    await queryRunner.createIndex(
      'oauth_grants',
      new TableIndex({
        name: 'ix_oauth_grants_consent',
        columnNames: ['business_id', 'consent_id'],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'oauth_refresh_tokens',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'grant_id', type: t.uuid },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'created_at', type: t.timestamp },
          { name: 'expires_at', type: t.timestamp },
          { name: 'used_at', type: t.timestamp, isNullable: true },
        ],
        foreignKeys: [
          cascadeTo(['business_id'], 'businesses'),
          cascadeTo(['grant_id'], 'oauth_grants'),
        ],
      }),
    );
    await queryRunner.createIndices('oauth_refresh_tokens', [
      new TableIndex({
        name: 'ux_oauth_refresh_tokens_hash',
        columnNames: ['token_hash'],
        isUnique: true,
      }),
      new TableIndex({ name: 'ix_oauth_refresh_tokens_grant', columnNames: ['grant_id'] }),
      new TableIndex({ name: 'ix_oauth_refresh_tokens_expires', columnNames: ['expires_at'] }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'oauth_grant_tokens',
        columns: [
          { name: 'token_id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'grant_id', type: t.uuid },
          { name: 'client_id', type: 'varchar', length: '512' },
          { name: 'created_at', type: t.timestamp },
        ],
        foreignKeys: [cascadeTo(['business_id'], 'businesses')],
      }),
    );
    await queryRunner.createIndex(
      'oauth_grant_tokens',
      new TableIndex({
        name: 'ix_oauth_grant_tokens_grant',
        columnNames: ['business_id', 'grant_id'],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'oauth_consent_requests',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'identity_id', type: t.uuid },
          { name: 'client_id', type: 'varchar', length: '512' },
          { name: 'client_name', type: 'varchar', length: '100', isNullable: true },
          { name: 'resource', type: 'varchar', length: '256' },
          { name: 'scopes', type: t.json },
          { name: 'justification', type: 'varchar', length: '500' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'created_at', type: t.timestamp },
          { name: 'decided_at', type: t.timestamp, isNullable: true },
          { name: 'decided_by', type: 'varchar', length: '320', isNullable: true },
          { name: 'decided_by_id', type: t.uuid, isNullable: true },
          { name: 'decision_reason', type: 'varchar', length: '500', isNullable: true },
        ],
        foreignKeys: [
          cascadeTo(['business_id'], 'businesses'),
          cascadeTo(['identity_id'], 'identities'),
        ],
      }),
    );
    await queryRunner.createIndex(
      'oauth_consent_requests',
      new TableIndex({
        name: 'ix_oauth_consent_requests_business',
        columnNames: ['business_id', 'status', 'created_at'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('oauth_consent_requests');
    await queryRunner.dropTable('oauth_grant_tokens');
    await queryRunner.dropTable('oauth_refresh_tokens');
    await queryRunner.dropTable('oauth_grants');
    await queryRunner.dropTable('oauth_consents');
  }
}

import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * OIDC federation: the trust rules of machine identities, the JWT ids the exchange has
 * accepted (each once, across instances: the primary key decides), and each token's origin
 * (`federation` for one the exchange made, null for the rest). The column is added with SQLite's
 * own ADD COLUMN, as `1764600000000-token-constraints.ts` explains.
 */
export class Federation1764670000000 implements MigrationInterface {
  name = 'Federation1764670000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'trust_rules',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'identity_id', type: t.uuid },
          { name: 'issuer', type: 'varchar', length: '2048' },
          { name: 'jwks', type: 'text', isNullable: true },
          { name: 'jwks_uri', type: 'varchar', length: '2048', isNullable: true },
          { name: 'audience', type: 'varchar', length: '1024' },
          { name: 'subject', type: 'varchar', length: '1024' },
          { name: 'claims', type: 'text', isNullable: true },
          { name: 'scopes', type: 'text' },
          { name: 'max_ttl_seconds', type: 'integer' },
          { name: 'created_at', type: t.timestamp },
          { name: 'created_by', type: 'varchar', length: '340' },
          { name: 'created_by_id', type: t.uuid, isNullable: true },
        ],
        indices: [
          {
            name: 'ix_trust_rules_identity',
            columnNames: ['business_id', 'identity_id', 'created_at', 'id'],
          },
          { name: 'ix_trust_rules_issuer', columnNames: ['business_id', 'issuer'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'federation_jti_uses',
        columns: [
          // sha256 of the issuer and the jti: a fixed-size key, whatever the issuer's length.
          { name: 'key_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'expires_at', type: t.timestamp },
        ],
        indices: [{ name: 'ix_federation_jti_uses_expiry', columnNames: ['expires_at'] }],
      }),
    );
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.addColumn(
        'api_tokens',
        new TableColumn({ name: 'origin', type: 'varchar', length: '16', isNullable: true }),
      );
    } else {
      await queryRunner.query('ALTER TABLE "api_tokens" ADD COLUMN "origin" varchar(16) NULL');
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.dropColumn('api_tokens', 'origin');
    } else {
      await queryRunner.query('ALTER TABLE "api_tokens" DROP COLUMN "origin"');
    }
    await queryRunner.dropTable('federation_jti_uses');
    await queryRunner.dropTable('trust_rules');
  }
}

import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Clients registered through RFC 7591 (`oauth_clients`), installation-wide. Every column is
 * bounded: a name of 100 characters, links of 512, at most 10 redirect URIs of 512 bytes each
 * (the JSON list, under 5.2 KB). The index serves the sweep of registrations never used.
 */
export class OAuthClients1764860000000 implements MigrationInterface {
  name = 'OAuthClients1764860000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'oauth_clients',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'client_name', type: 'varchar', length: '100', isNullable: true },
          { name: 'redirect_uris', type: t.json },
          { name: 'client_uri', type: 'varchar', length: '512', isNullable: true },
          { name: 'logo_uri', type: 'varchar', length: '512', isNullable: true },
          { name: 'grant_types', type: t.json },
          { name: 'response_types', type: t.json },
          { name: 'token_endpoint_auth_method', type: 'varchar', length: '32' },
          { name: 'created_at', type: t.timestamp },
          { name: 'used_at', type: t.timestamp, isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndex(
      'oauth_clients',
      new TableIndex({ name: 'ix_oauth_clients_unused', columnNames: ['used_at', 'created_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('oauth_clients');
  }
}

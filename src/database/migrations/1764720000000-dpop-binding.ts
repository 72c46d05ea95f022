import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * A token bound to a key (RFC 9449, DPoP): `dpop_jkt` is the RFC 7638 SHA-256 thumbprint of the
 * public key whose proofs must come with it (43 base64url characters); null for a bearer token.
 * Added with SQLite's own ADD COLUMN, as `1764600000000-token-constraints.ts` explains (TypeORM's
 * copies the table and drops its triggers).
 */
export class DpopBinding1764720000000 implements MigrationInterface {
  name = 'DpopBinding1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.addColumn(
        'api_tokens',
        new TableColumn({ name: 'dpop_jkt', type: 'varchar', length: '43', isNullable: true }),
      );
      return;
    }
    await queryRunner.query('ALTER TABLE "api_tokens" ADD COLUMN "dpop_jkt" varchar(43) NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "api_tokens" DROP COLUMN "dpop_jkt"');
  }
}

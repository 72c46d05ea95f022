import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

const INDEX = 'ix_api_tokens_origin';

/**
 * An index on `api_tokens.origin`, for one question the verifier asks at boot and when told of a
 * change: does this installation hold any key brought from elsewhere (`origin = 'import'`)? Until
 * it does, a presented string without Latchkey's shape is refused without a lookup
 * (`imported-keys.ts`), and with the index the question costs one probe, not a scan.
 */
export class ImportedKeys1764740000000 implements MigrationInterface {
  name = 'ImportedKeys1764740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'api_tokens',
      new TableIndex({ name: INDEX, columnNames: ['origin'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('api_tokens', INDEX);
  }
}

import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

const TABLES = ['verification_minutes', 'verification_hours', 'verification_days'];

/**
 * `console_count` on each verification bucket: of its `count`, the verifications the admin
 * console made (it says so in `X-Latchkey-Client: console`). Counted apart, so a person browsing
 * the console does not read as the API's traffic. Rows written before hold 0: their console
 * calls stay among the API's.
 */
export class ConsoleVerifications1764840000000 implements MigrationInterface {
  name = 'ConsoleVerifications1764840000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      await queryRunner.addColumn(
        table,
        new TableColumn({ name: 'console_count', type: 'integer', default: 0 }),
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of TABLES) await queryRunner.dropColumn(table, 'console_count');
  }
}

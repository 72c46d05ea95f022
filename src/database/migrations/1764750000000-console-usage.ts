import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * `token_usage_hours.console_requests`: of an hour's requests, those the admin console made. The
 * console says so on each call (`X-Latchkey-Client: console`), and they are counted apart, so a
 * person clicking through the console does not read as their token's API traffic. Rows written
 * before hold 0: their console calls stay among the API's.
 */
export class ConsoleUsage1764750000000 implements MigrationInterface {
  name = 'ConsoleUsage1764750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'token_usage_hours',
      new TableColumn({ name: 'console_requests', type: 'integer', default: 0 }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('token_usage_hours', 'console_requests');
  }
}

import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Whether an endpoint's typed events carry who acted and from where (the actor's label, the
 * address, the user agent): set when whoever set its URL could read them in the audit log
 * (`src/webhooks/endpoints/webhook-personal-data.ts`). Endpoints registered before were all sent them, and
 * go on being so: they are marked, and so governed as audit data from now on (docs/security.md).
 * Added with SQLite's own ADD COLUMN, as `1764600000000-token-constraints.ts` explains (TypeORM's
 * copies the table and drops its triggers).
 */
export class WebhookPersonalData1764697000000 implements MigrationInterface {
  name = 'WebhookPersonalData1764697000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const pg = queryRunner.connection.driver.options.type === 'postgres';
    if (pg) {
      await queryRunner.addColumn(
        'webhook_endpoints',
        new TableColumn({ name: 'personal_data', type: 'boolean', default: false }),
      );
    } else {
      await queryRunner.query(
        'ALTER TABLE "webhook_endpoints" ADD COLUMN "personal_data" boolean NOT NULL DEFAULT (0)',
      );
    }
    await queryRunner.query(
      `UPDATE "webhook_endpoints" SET "personal_data" = ${pg ? 'true' : '1'}`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.dropColumn('webhook_endpoints', 'personal_data');
      return;
    }
    await queryRunner.query('ALTER TABLE "webhook_endpoints" DROP COLUMN "personal_data"');
  }
}

import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Shared Signals streams ride on webhook endpoints (`src/ssf/`): an endpoint whose
 * `signature_scheme` is `set` is a stream, pushed signed Security Event Tokens (RFC 8935). A
 * stream may be paused (`paused_at`: its events are held, not sent), carries the reason its
 * receiver gave for its status, and keeps the event types its receiver asked for as asked. Added
 * with SQLite's own ADD COLUMN, as `1764600000000-token-constraints.ts` explains (TypeORM's
 * copies the table and drops its triggers).
 */
export class SsfStreams1764710000000 implements MigrationInterface {
  name = 'SsfStreams1764710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    const columns = [
      new TableColumn({ name: 'paused_at', type: t.timestamp, isNullable: true }),
      new TableColumn({ name: 'status_reason', type: 'varchar', length: '500', isNullable: true }),
      new TableColumn({ name: 'events_requested', type: t.json, isNullable: true }),
    ];
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.addColumns('webhook_endpoints', columns);
      return;
    }
    await queryRunner.query(
      `ALTER TABLE "webhook_endpoints" ADD COLUMN "paused_at" ${t.timestamp} NULL`,
    );
    await queryRunner.query(
      'ALTER TABLE "webhook_endpoints" ADD COLUMN "status_reason" varchar(500) NULL',
    );
    await queryRunner.query(
      'ALTER TABLE "webhook_endpoints" ADD COLUMN "events_requested" text NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['events_requested', 'status_reason', 'paused_at']) {
      await queryRunner.query(`ALTER TABLE "webhook_endpoints" DROP COLUMN "${column}"`);
    }
  }
}

import { QueryRunner } from 'typeorm';

/**
 * The few column types the two databases spell differently. Migrations stay on the Table API
 * and ask for these by meaning, so one migration serves PostgreSQL and SQLite.
 */
export function columnTypes(queryRunner: QueryRunner) {
  const pg = queryRunner.connection.driver.options.type === 'postgres';
  return {
    uuid: pg ? 'uuid' : 'varchar(36)',
    timestamp: pg ? 'timestamptz' : 'datetime',
    json: 'text',
  };
}

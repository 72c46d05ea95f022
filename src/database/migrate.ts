import { Logger } from '@nestjs/common';
import { DataSource, MigrationExecutor, QueryRunner } from 'typeorm';
import { migrationDataSourceOptions } from './connection/data-source-options';

// An arbitrary constant: every Latchkey instance on a database takes the same advisory lock.
export const MIGRATION_LOCK_KEY = 7_316_020_251;

const logger = new Logger('Migrations');

/**
 * Runs pending migrations, then `afterMigrations`, under a PostgreSQL advisory lock so that
 * instances starting together neither race on the schema nor both bootstrap an admin.
 *
 * On PostgreSQL the lock and the migrations use a connection of their own, without the app's
 * query and statement timeouts: an instance waits for another's migrations as long as they
 * take, and a long migration is not cut off. `afterMigrations` runs on the app's DataSource.
 */
export async function migrateUnderLock<T>(
  dataSource: DataSource,
  afterMigrations: () => Promise<T>,
): Promise<T> {
  if (dataSource.options.type !== 'postgres') {
    await dataSource.runMigrations({ transaction: 'each' });
    return afterMigrations();
  }
  const migrator = new DataSource(migrationDataSourceOptions(dataSource.options));
  await migrator.initialize();
  const runner = migrator.createQueryRunner();
  try {
    await runner.connect();
    // A statement_timeout set on the server or the role must not apply here either.
    await runner.query('SET statement_timeout = 0');
    await takeLock(runner);
    try {
      const executor = new MigrationExecutor(migrator, runner);
      executor.transaction = 'each';
      await executor.executePendingMigrations();
      return await afterMigrations();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
    await migrator.destroy();
  }
}

/** Takes the lock, and says once that it waits when another instance holds it. */
async function takeLock(runner: QueryRunner): Promise<void> {
  const rows = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
    MIGRATION_LOCK_KEY,
  ])) as { locked: boolean }[];
  if (rows[0]?.locked) return;
  logger.log('Another instance holds the migration lock: waiting for it before migrating');
  await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
}

/**
 * Whether a migration of this build is not yet recorded as run, read without the lock (true when
 * the migrations table is not there yet). A process that finds none pending, as the CLI does on
 * most runs, need not take the lock, nor on PostgreSQL open the migrations' own connection.
 */
export async function hasPendingMigrations(dataSource: DataSource): Promise<boolean> {
  const table = dataSource.driver.escape(dataSource.options.migrationsTableName ?? 'migrations');
  let rows: { name: string }[];
  try {
    rows = await dataSource.query<{ name: string }[]>(`SELECT name FROM ${table}`);
  } catch {
    return true; // no table yet (a first run), or no database: migrating says which
  }
  const run = new Set(rows.map((r) => r.name));
  return dataSource.migrations.some((m) => !run.has(m.name ?? m.constructor.name));
}

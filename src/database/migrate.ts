import { DataSource } from 'typeorm';

// An arbitrary constant: every Latchkey instance on a database takes the same advisory lock.
const MIGRATION_LOCK_KEY = 7_316_020_251;

/**
 * Runs pending migrations, then `afterMigrations`, under a PostgreSQL advisory lock so that
 * instances starting together neither race on the schema nor both bootstrap an admin.
 */
export async function migrateUnderLock<T>(
  dataSource: DataSource,
  afterMigrations: () => Promise<T>,
): Promise<T> {
  if (dataSource.options.type !== 'postgres') {
    await dataSource.runMigrations({ transaction: 'each' });
    return afterMigrations();
  }
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
      return await afterMigrations();
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await lock.release();
  }
}

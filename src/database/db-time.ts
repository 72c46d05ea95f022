import type { EntityManager } from 'typeorm';

/**
 * A time as a raw query's parameter, spelled as TypeORM writes it into the column: a Date for
 * PostgreSQL's timestamptz, and `YYYY-MM-DD HH:MM:SS.SSS` (UTC) for SQLite's datetime text, so a
 * hand-written comparison or insert agrees with what the entities store.
 */
export function dbTime(em: EntityManager, at: Date): Date | string {
  if (em.connection.options.type === 'postgres') return at;
  return at.toISOString().replace('T', ' ').replace('Z', '');
}

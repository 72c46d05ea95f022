import type { Database, Statement } from 'better-sqlite3';
import type { DataSource } from 'typeorm';

/**
 * better-sqlite3's connection under a TypeORM data source. TypeORM holds one on SQLite, and the
 * open transaction is on it, so a statement run here runs inside that transaction.
 */
export function sqliteConnection(dataSource: DataSource): Database {
  return (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection;
}

type Mode = 'rows' | 'raw';

const prepared = new WeakMap<Database, Map<string, Statement<unknown[], unknown>>>();

/**
 * A statement prepared once per connection, SQL text and mode (`rows`: objects keyed by column;
 * `raw`: arrays of values in the SELECT's order), and kept: each text is parsed by SQLite once, and
 * the hot writes and reads do not push each other out of the driver's own cache. Callers build
 * texts from fixed fragments only, never from input, so the cache stays small.
 */
export function preparedStatement<R = unknown>(
  db: Database,
  sql: string,
  mode: Mode,
): Statement<unknown[], R> {
  let statements = prepared.get(db);
  if (!statements)
    prepared.set(db, (statements = new Map<string, Statement<unknown[], unknown>>()));
  const key = `${mode}:${sql}`;
  let statement = statements.get(key);
  if (!statement) {
    statement = db.prepare<unknown[], unknown>(sql);
    if (mode === 'raw') statement.raw(true);
    statements.set(key, statement);
  }
  return statement as Statement<unknown[], R>;
}

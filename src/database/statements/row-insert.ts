import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** The INSERT text of one entity for one set of columns (those its row gives a value). */
interface InsertText {
  sql: string;
  columns: ColumnMetadata[];
  /** Columns the row leaves to the database that TypeORM would read back (those with a default). */
  returning: ColumnMetadata[];
}

/** `ignore`: `ON CONFLICT DO NOTHING`, so a row whose key is taken is not written, and no error. */
export type OnConflict = 'fail' | 'ignore';

const texts = new WeakMap<object, Map<string, InsertText>>();

/** One row's INSERT: its text, fixed per entity and column set, its parameters, and what it reads back. */
export interface RowInsert {
  sql: string;
  params: unknown[];
  /** Columns the text reads back (`RETURNING`), to set on the row as TypeORM's insert would. */
  returning: readonly ColumnMetadata[];
}

/**
 * One row's INSERT as a fixed text and its parameters: every column the row gives a value (an
 * undefined one is left to the column's default, as TypeORM leaves it), each a `?`, its value
 * prepared by the driver as TypeORM would (dates, JSON, booleans). TypeORM's SQLite driver writes
 * numbers, booleans and NULLs into the text instead (`status_index` = 733, `is_platform_admin` =
 * 0), so each row's INSERT could be a text of its own, prepared anew and pushing the kept ones out
 * of the driver's cache (docs/performance.md). The columns left to a default that TypeORM would
 * read back into the row (a second SELECT on SQLite, `RETURNING` on PostgreSQL) are read back
 * here by `RETURNING`, on both: SQLite has had it since 3.35.
 */
export function rowInsert<E extends ObjectLiteral>(
  em: EntityManager,
  target: EntityTarget<E>,
  row: E,
  onConflict: OnConflict = 'fail',
): RowInsert {
  const metadata = em.connection.getMetadata(target);
  const driver = em.connection.driver;
  const given = metadata.columns.filter((c) => c.isInsert && c.getEntityValue(row) !== undefined);
  const key = `${onConflict}:${given.map((c) => c.databaseName).join(',')}`;
  let byColumns = texts.get(metadata);
  if (byColumns === undefined) texts.set(metadata, (byColumns = new Map<string, InsertText>()));
  let text = byColumns.get(key);
  if (text === undefined) {
    const names = given.map((c) => driver.escape(c.databaseName)).join(', ');
    const marks = given.map(() => '?').join(', ');
    const returning = metadata
      .getInsertionReturningColumns()
      .filter((c) => !given.includes(c) && !c.isVirtual);
    const back = returning.map((c) => driver.escape(c.databaseName)).join(', ');
    text = {
      sql:
        `INSERT INTO ${driver.escape(metadata.tablePath)} (${names}) VALUES (${marks})` +
        (onConflict === 'ignore' ? ' ON CONFLICT DO NOTHING' : '') +
        (returning.length > 0 ? ` RETURNING ${back}` : ''),
      columns: given,
      returning,
    };
    byColumns.set(key, text);
  }
  const params = text.columns.map(
    (c): unknown => driver.preparePersistentValue(c.getEntityValue(row, true), c) as unknown,
  );
  return { sql: text.sql, params, returning: text.returning };
}

/**
 * Sets on `row` what its INSERT read back (`rowInsert`'s `returning`), hydrated as TypeORM's
 * insert hydrates it; answers the values by property, TypeORM's `generatedMaps` entry.
 */
export function readBack<E extends ObjectLiteral>(
  em: EntityManager,
  row: E,
  columns: readonly ColumnMetadata[],
  record: Record<string, unknown> | undefined,
): ObjectLiteral {
  const generated: ObjectLiteral = {};
  if (record === undefined) return generated;
  const driver = em.connection.driver;
  for (const column of columns) {
    const value: unknown = driver.prepareHydratedValue(record[column.databaseName], column);
    column.setEntityValue(row, value);
    column.setEntityValue(generated, value);
  }
  return generated;
}

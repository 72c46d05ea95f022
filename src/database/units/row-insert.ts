import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** The INSERT text of one entity for one set of columns (those its row gives a value). */
interface InsertText {
  sql: string;
  columns: ColumnMetadata[];
}

const texts = new WeakMap<object, Map<string, InsertText>>();

/**
 * One row's INSERT as a fixed text and its parameters: every column the row gives a value (an
 * undefined one is left to the column's default, as TypeORM leaves it), each a `?`, its value
 * prepared by the driver as TypeORM would (dates, JSON, booleans). TypeORM's SQLite driver writes
 * numbers into the text instead (`status_index` = 733), so each token's INSERT was a text of its
 * own, prepared anew and pushing the kept ones out of the driver's cache (docs/performance.md).
 */
export function rowInsert<E extends ObjectLiteral>(
  em: EntityManager,
  target: EntityTarget<E>,
  row: E,
): { sql: string; params: unknown[] } {
  const metadata = em.connection.getMetadata(target);
  const driver = em.connection.driver;
  const given = metadata.columns.filter((c) => c.isInsert && c.getEntityValue(row) !== undefined);
  const key = given.map((c) => c.databaseName).join(',');
  let byColumns = texts.get(metadata);
  if (byColumns === undefined) texts.set(metadata, (byColumns = new Map<string, InsertText>()));
  let text = byColumns.get(key);
  if (text === undefined) {
    const names = given.map((c) => driver.escape(c.databaseName)).join(', ');
    const marks = given.map(() => '?').join(', ');
    text = {
      sql: `INSERT INTO ${driver.escape(metadata.tablePath)} (${names}) VALUES (${marks})`,
      columns: given,
    };
    byColumns.set(key, text);
  }
  const params = text.columns.map(
    (c): unknown => driver.preparePersistentValue(c.getEntityValue(row, true), c) as unknown,
  );
  return { sql: text.sql, params };
}

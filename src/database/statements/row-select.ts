import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** What a row is found by: a value per property, `null` meaning `IS NULL`. */
export type RowKey<E> = { [K in keyof E]?: E[K] | null };

interface SelectText {
  sql: string;
  /** The columns compared with a value (`= ?`), in the text's order. */
  compared: ColumnMetadata[];
}

const texts = new WeakMap<object, Map<string, SelectText>>();

/**
 * One row's SELECT by equalities, as a fixed text per entity and set of conditions, and its
 * parameters: for reads on a hot path, where TypeORM's query builder (aliases, its parameter
 * names, the result transformer) cost more than the statement (docs/performance.md). Every
 * property named must be a column, and none may be undefined: TypeORM drops an undefined from a
 * WHERE, which would find any row.
 */
export function rowSelect<E extends ObjectLiteral>(
  em: EntityManager,
  target: EntityTarget<E>,
  where: RowKey<E>,
): { sql: string; params: unknown[]; columns: readonly ColumnMetadata[] } {
  const metadata = em.connection.getMetadata(target);
  const driver = em.connection.driver;
  const names = Object.keys(where);
  const columns = names.map((name) => {
    const column = metadata.findColumnWithPropertyPath(name);
    if (!column) throw new Error(`${metadata.name} has no column ${name}`);
    if (where[name] === undefined) throw new Error(`${metadata.name}.${name} is undefined`);
    return column;
  });
  const key = names.map((name) => (where[name] === null ? `${name}:null` : name)).join(',');
  let byKey = texts.get(metadata);
  if (byKey === undefined) texts.set(metadata, (byKey = new Map<string, SelectText>()));
  let text = byKey.get(key);
  if (text === undefined) {
    const all = metadata.columns.map((c) => driver.escape(c.databaseName)).join(', ');
    const conditions = columns.map((c, i) =>
      where[names[i]] === null
        ? `${driver.escape(c.databaseName)} IS NULL`
        : `${driver.escape(c.databaseName)} = ?`,
    );
    text = {
      sql: `SELECT ${all} FROM ${driver.escape(metadata.tablePath)} WHERE ${conditions.join(' AND ')} LIMIT 1`,
      compared: columns.filter((_, i) => where[names[i]] !== null),
    };
    byKey.set(key, text);
  }
  const params = text.compared.map(
    (c): unknown => driver.preparePersistentValue(where[c.propertyName], c) as unknown,
  );
  return { sql: text.sql, params, columns: metadata.columns };
}

/** A row as its entity, each column hydrated as TypeORM's find hydrates it. */
export function rowEntity<E extends ObjectLiteral>(
  em: EntityManager,
  target: EntityTarget<E>,
  record: Record<string, unknown>,
): E {
  const metadata = em.connection.getMetadata(target);
  const driver = em.connection.driver;
  const entity = metadata.create() as E;
  for (const column of metadata.columns) {
    column.setEntityValue(entity, driver.prepareHydratedValue(record[column.databaseName], column));
  }
  return entity;
}

import type { Statement } from 'better-sqlite3';
import { EntityManager, QueryFailedError } from 'typeorm';
import type { QueryResult } from 'typeorm/query-runner/QueryResult';
import { preparedStatement, sqliteConnection } from './sqlite-statements';
import { assertUnitNotAbandoned } from '../units/unit-scope';

/**
 * Fixed SQL texts run in the caller's transaction, for hot writes: TypeORM's query builder cost
 * more than the statement, and wrote values into the text (`"tree_size" = 7`), so each such text
 * was prepared anew and pushed the others out of the driver's statement cache
 * (docs/performance.md). On SQLite, one better-sqlite3 statement per text, kept
 * (`sqlite-statements.ts`), on the transaction's connection; on PostgreSQL, the transaction's
 * query runner, each `?` numbered `$n`. Texts are built from fixed fragments only, never from
 * input, so the caches stay small. Errors are TypeORM's `QueryFailedError`, as any query's.
 */
const pgTexts = new Map<string, string>();

/** The rows a statement answers (a SELECT, or a write with RETURNING), as column-keyed objects. */
export async function txRows<T extends object>(
  em: EntityManager,
  sql: string,
  params: readonly unknown[],
): Promise<T[]> {
  if (em.connection.options.type === 'postgres') {
    return (await pgQuery(em, sql, params)).records as T[];
  }
  return sqliteRun(sql, params, (statement) => statement.all(...params) as T[], em);
}

/** Runs a write; answers how many rows it changed. */
export async function txRun(
  em: EntityManager,
  sql: string,
  params: readonly unknown[],
): Promise<number> {
  if (em.connection.options.type === 'postgres') {
    return (await pgQuery(em, sql, params)).affected ?? 0;
  }
  return sqliteRun(sql, params, (statement) => statement.run(...params).changes, em);
}

function sqliteRun<R>(
  sql: string,
  params: readonly unknown[],
  use: (statement: Statement<unknown[], unknown>) => R,
  em: EntityManager,
): R {
  assertUnitNotAbandoned(em);
  try {
    return use(preparedStatement(sqliteConnection(em.connection), sql, 'rows'));
  } catch (e) {
    throw new QueryFailedError(sql, [...params], e as Error);
  }
}

/** Through the transaction's query runner (a manager outside one gets a runner of its own). */
async function pgQuery(em: EntityManager, sql: string, params: readonly unknown[]) {
  const runner = em.queryRunner ?? em.connection.createQueryRunner();
  try {
    const result: QueryResult = await runner.query(pgText(sql), [...params], true);
    return result;
  } finally {
    if (!em.queryRunner) await runner.release();
  }
}

function pgText(sql: string): string {
  let text = pgTexts.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    pgTexts.set(sql, text);
  }
  return text;
}

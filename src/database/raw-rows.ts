import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { throughTransactionPooler } from './data-source-options';
import { preparedStatement, sqliteConnection } from './sqlite-statements';

/**
 * Reads rows as arrays of column values, in the order the SELECT names them, for hot lists
 * whose rows go straight into views, straight from the driver (why, by measurement:
 * docs/performance.md, "Why the code looks the way it does"):
 *
 * - SQLite: a prepared statement per SQL text, kept, in raw (array) mode. better-sqlite3 is
 *   synchronous and TypeORM holds one connection, so a read here sees what a query through
 *   TypeORM would.
 * - PostgreSQL: a named prepared statement per SQL text (parsed and planned once per
 *   connection, not per call), through the same pool and clients as TypeORM, so the same
 *   statement and query timeouts apply, with `rowMode: 'array'` and pg's own type parsers.
 *   Through a transaction pooler (DATABASE_POOL_MODE=transaction) the statement is unnamed: a
 *   named one lives on one server connection, and the next transaction may get another.
 *
 * Parameters are named (`:name`) and bound by the driver's own escaping, as in TypeORM.
 * Callers build the SQL from fixed fragments only, never from input; the set of texts is small
 * and bounded, so the caches are too.
 */
@Injectable()
export class RawRows {
  private readonly pgNames = new Map<string, string>();
  private readonly unnamed: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.unnamed = throughTransactionPooler(dataSource.options);
  }

  async all(sql: string, params: Record<string, unknown>): Promise<unknown[][]> {
    const driver = this.dataSource.driver;
    const [text, bound] = driver.escapeQueryWithParameters(sql, params, {});
    const values = bound as unknown[];
    if (this.dataSource.options.type === 'postgres') {
      const pool = (driver as unknown as { master: Pool }).master;
      let name = this.unnamed ? undefined : this.pgNames.get(text);
      if (name === undefined && !this.unnamed)
        this.pgNames.set(text, (name = `latchkey_raw_${this.pgNames.size}`));
      const result = await pool.query<unknown[]>({ name, text, values, rowMode: 'array' });
      return result.rows;
    }
    return preparedStatement<unknown[]>(sqliteConnection(this.dataSource), text, 'raw').all(
      ...values,
    );
  }
}

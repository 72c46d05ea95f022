import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { throughTransactionPooler } from './connection/data-source-options';
import { preparedStatement, sqliteConnection } from './statements/sqlite-statements';

/**
 * A node-postgres result's rows in an array of the caller's own, the driver's emptied.
 * node-postgres makes every result's array at one place (`this.rows = []` in its `Result`), which
 * V8 comes to allocate in the old generation under load (allocation-site pretenuring); an old
 * array keeps each row it holds, with its strings and dates, through every scavenge until a full
 * collection (docs/performance.md, "The token list"). The copy is young, as a fresh array is.
 */
export function takeRows<T>(result: { rows: T[] }): T[] {
  const rows = result.rows.slice();
  result.rows.length = 0;
  return rows;
}

/**
 * Reads rows as arrays of column values, in SELECT order, straight from the driver, for hot
 * lists whose rows go straight into views (docs/performance.md says why, by measurement):
 * - SQLite: a kept prepared statement per SQL text, in raw mode; TypeORM holds the one
 *   connection, so a read here sees what a query through TypeORM would.
 * - PostgreSQL: a named prepared statement per text, through TypeORM's pool and clients (so the
 *   same timeouts apply), with `rowMode: 'array'`. Through a transaction pooler it is unnamed: a
 *   named one lives on one server connection, and the next transaction may get another.
 * Parameters (`:name`) are bound by the driver. Callers build the SQL from fixed fragments only,
 * never from input, so the set of texts, and the caches, stay small.
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
      return takeRows(await pool.query<unknown[]>({ name, text, values, rowMode: 'array' }));
    }
    return preparedStatement<unknown[]>(sqliteConnection(this.dataSource), text, 'raw').all(
      ...values,
    );
  }
}

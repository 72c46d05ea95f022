import type { Pool } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { takeRows } from '../../database/raw-rows';
import { preparedStatement, sqliteConnection } from '../../database/statements/sqlite-statements';
import { RAW_TEXT_TYPES, SqlQuery } from './audit-row-query';

/**
 * Rows as arrays of column values, straight from the driver: no query builder, no entity, and on
 * PostgreSQL no type parsing (every value the server's text). Walks read millions of rows this
 * way; a page or a proof allocates a fraction of what the query builder and hydration did, which
 * is what the collector's pauses in their tail latency were made of (docs/performance.md). On
 * SQLite each text is prepared once and kept; texts are built from fixed fragments only.
 */
export async function rawRows(dataSource: DataSource, { text, values }: SqlQuery) {
  try {
    if (dataSource.options.type === 'postgres') {
      const pool = (dataSource.driver as unknown as { master: Pool }).master;
      return takeRows(
        await pool.query<unknown[]>({
          text,
          values,
          rowMode: 'array' as const,
          types: RAW_TEXT_TYPES,
        }),
      );
    }
    return preparedStatement<unknown[]>(sqliteConnection(dataSource), text, 'raw').all(...values);
  } catch (e) {
    // As TypeORM reports it, so the error filter and the log treat it like any other query.
    throw new QueryFailedError(text, values, e as Error);
  }
}

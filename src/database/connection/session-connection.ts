import type { Client } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { BoundedPgClientConfig } from './bounded-pg-client';
import { sessionUrlOf, throughTransactionPooler } from './data-source-options';

/**
 * A connection of its own, straight to the server (DATABASE_DIRECT_URL), for what must outlive
 * one transaction while the app's pool goes through a transaction pooler: a session advisory
 * lock. Bounded as the pool's connections are, with the timeouts as startup parameters, which
 * the server itself accepts. Null when the pool can hold a session itself. The caller ends it.
 */
export async function openSessionConnection(options: DataSourceOptions): Promise<Client | null> {
  const url = sessionUrlOf(options);
  if (!throughTransactionPooler(options) || url === undefined) return null;
  // Required, not imported, so that a process on SQLite never loads pg.
  const { BoundedPgClient } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('./bounded-pg-client') as typeof import('./bounded-pg-client');
  const pool = options.extra as BoundedPgClientConfig & {
    connectionTimeoutMillis?: number;
    local_timeouts?: { statementMs: number };
  };
  const client = new BoundedPgClient({
    connectionString: url,
    connectionTimeoutMillis: pool.connectionTimeoutMillis,
    query_timeout: pool.query_timeout,
    statement_timeout: pool.local_timeouts?.statementMs,
    keepAlive: true,
  });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  return client;
}

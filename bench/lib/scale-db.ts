/**
 * `npm run bench:scale`'s own connection to an installation's database: the seeder writes through
 * it while the app is stopped, and the bench reads setup facts (a cursor deep in a list, the
 * audit trees' catch-up, the size on disk) around the app. One shape for both drivers.
 */
import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { Client } from 'pg';

export type Driver = 'postgres' | 'sqlite';

/** Rows for one table: `rows[i][j]` is the value of `columns[j]`. */
export interface TableRows {
  table: string;
  columns: readonly string[];
  rows: unknown[][];
}

/** A statement and its values, `?` placeholders on both drivers. */
export type Statement = [text: string, params: unknown[]];

export interface ScaleDb {
  readonly driver: Driver;
  all<T>(text: string, params?: unknown[]): Promise<T[]>;
  /** Every table's rows, then `after`, in one transaction. */
  write(tables: TableRows[], after: Statement[]): Promise<void>;
  /** An instant as the app stores it: TypeORM's UTC text on SQLite, ISO for PostgreSQL. */
  instant(ms: number): string;
  /** An instant read back from a row, in ms. */
  millis(value: unknown): number;
  /** What a table in steady state is: PostgreSQL vacuumed and analyzed, SQLite's WAL folded in. */
  settle(): Promise<void>;
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

const numbered = (text: string) => {
  let i = 0;
  return text.replace(/\?/g, () => `$${++i}`);
};

export async function openPostgres(url: string): Promise<ScaleDb> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const types = new Map<string, Map<string, string>>();
  const typesOf = async (table: string) => {
    let found = types.get(table);
    if (!found) {
      const { rows } = await pg.query<{ column_name: string; udt_name: string }>(
        'SELECT column_name, udt_name FROM information_schema.columns WHERE table_name = $1',
        [table],
      );
      types.set(table, (found = new Map(rows.map((r) => [r.column_name, r.udt_name]))));
    }
    return found;
  };
  // One array a column, unnested: the statement's text and parameters stay the same size
  // whatever the batch, which multi-row VALUES (a parameter a value) does not.
  const insert = async ({ table, columns, rows }: TableRows) => {
    const udt = await typesOf(table);
    const arrays = columns.map((_, j) => rows.map((row) => row[j]));
    const casts = columns.map((c, j) => `$${j + 1}::${udt.get(c)}[]`);
    await pg.query(
      `INSERT INTO ${table} (${columns.join(',')}) SELECT * FROM unnest(${casts.join(',')})`,
      arrays,
    );
  };
  return {
    driver: 'postgres',
    all: async <T>(text: string, params: unknown[] = []) =>
      (await pg.query(numbered(text), params)).rows as T[],
    write: async (tables, after) => {
      await pg.query('BEGIN');
      try {
        for (const t of tables) await insert(t);
        for (const [text, params] of after) await pg.query(numbered(text), params);
        await pg.query('COMMIT');
      } catch (e) {
        await pg.query('ROLLBACK');
        throw e;
      }
    },
    instant: (ms) => new Date(ms).toISOString(),
    millis: (value) => (value instanceof Date ? value.getTime() : Date.parse(String(value))),
    // As bench:audit does: otherwise autovacuum starts on the new rows while pages are timed.
    settle: async () => {
      await pg.query('VACUUM (ANALYZE)');
    },
    sizeBytes: async () =>
      Number(
        (await pg.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]
          .n,
      ),
    close: () => pg.end(),
  };
}

export function openSqlite(path: string): ScaleDb {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // The seeder's own page cache (256 MiB; the app keeps its own): a million rows' random keys
  // land all over eight indexes, and SQLite's default of 2 MiB makes every insert a read.
  db.pragma('cache_size = -262144');
  const statements = new Map<string, Database.Statement>();
  const prepared = (text: string) => {
    let s = statements.get(text);
    if (!s) statements.set(text, (s = db.prepare(text)));
    return s;
  };
  // One prepared row statement, run for each row inside the transaction: better-sqlite3's
  // fastest way in, with no statement text that grows with the batch.
  const writeAll = db.transaction((tables: TableRows[], after: Statement[]) => {
    for (const { table, columns, rows } of tables) {
      const s = prepared(
        `INSERT INTO ${table} (${columns.join(',')}) VALUES (${columns.map(() => '?').join(',')})`,
      );
      for (const row of rows) s.run(row);
    }
    for (const [text, params] of after) prepared(text).run(params);
  });
  const walSize = () => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
  return {
    driver: 'sqlite',
    all: <T>(text: string, params: unknown[] = []) =>
      Promise.resolve(prepared(text).all(params) as T[]),
    write: (tables, after) => Promise.resolve(writeAll(tables, after)),
    instant: (ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23),
    millis: (value) => Date.parse(`${String(value).replace(' ', 'T')}Z`),
    settle: () => {
      db.pragma('wal_checkpoint(TRUNCATE)');
      return Promise.resolve();
    },
    sizeBytes: () => Promise.resolve(statSync(path).size + walSize()),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

import { createHash } from 'node:crypto';

/** Distinct texts remembered, at most: past it, `texts` stops growing and `textsCapped` says so. */
const MAX_TEXTS_KEPT = 10_000;

/** What this process's SQLite connections have prepared since start. */
export interface StatementCounts {
  /** better-sqlite3 `prepare` calls: TypeORM's driver's, ours (`preparedStatement`), pragmas. */
  prepared: number;
  /** How many distinct SQL texts among them (at most MAX_TEXTS_KEPT). */
  texts: number;
  textsCapped: boolean;
}

const seen = new Set<string>();
let prepared = 0;

/**
 * Counts every statement a better-sqlite3 connection prepares, by wrapping its `prepare` as it
 * opens (`prepareDatabase`). A prepare is SQLite parsing and planning a text (about 200 µs for an
 * INSERT), and a text TypeORM wrote values into is prepared again for each value and pushes the
 * kept statements out of the driver's cache: the count, per request after warm-up, says whether a
 * route runs fixed texts only (`npm run bench` reads it from /metrics). Texts are kept as hashes,
 * never as text, so nothing a statement holds stays in memory or reaches the exposition.
 */
export function countPrepares<D extends { prepare: (...args: never[]) => unknown }>(db: D): void {
  const prepare = db.prepare.bind(db) as (...args: unknown[]) => unknown;
  db.prepare = (...args: unknown[]) => {
    prepared++;
    if (seen.size < MAX_TEXTS_KEPT && typeof args[0] === 'string') {
      seen.add(createHash('sha1').update(args[0]).digest('base64'));
    }
    return prepare(...args);
  };
}

export function statementCounts(): StatementCounts {
  return { prepared, texts: seen.size, textsCapped: seen.size >= MAX_TEXTS_KEPT };
}

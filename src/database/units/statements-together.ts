import type { EntityManager } from 'typeorm';

/**
 * Runs statements of one transaction that do not wait on each other's answers, and answers
 * theirs, in order. The app's PostgreSQL connections are pipelined (`BoundedPgClient`), direct
 * or through a transaction pooler: the statements are all started at once and share one round
 * trip (through a pooler, two hops); the server still runs them in the order sent, and each is
 * awaited before a failure is thrown, so none is still in flight when the caller's transaction
 * rolls back. On SQLite, or any connection that is not pipelined, they run one after the other,
 * as awaited statements always have.
 */
export async function statementsTogether<T extends readonly unknown[]>(
  em: EntityManager,
  statements: readonly [...{ [K in keyof T]: () => Promise<T[K]> }],
): Promise<T> {
  const out: unknown[] = [];
  if (!isPipelined(em)) {
    for (const statement of statements) out.push(await statement());
    return out as unknown as T;
  }
  const results = await Promise.allSettled(statements.map((statement) => statement()));
  const failures: unknown[] = [];
  for (const result of results) {
    if (result.status === 'rejected') failures.push(result.reason);
    else out.push(result.value);
  }
  // The statements behind a failed one fail as well, with "current transaction is aborted"; the
  // one to answer is the cause (a timeout is a 503, an abort of no known cause a 500).
  if (failures.length > 0) throw failures.find((e) => !abortedBefore(e)) ?? failures[0];
  return out as unknown as T;
}

/** PostgreSQL's 25P02 in_failed_sql_transaction: an earlier statement of the transaction failed. */
function abortedBefore(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === '25P02';
}

/** Whether the transaction's connection sends a statement without waiting for the last answer. */
export function isPipelined(em: EntityManager): boolean {
  const runner = em.queryRunner as { databaseConnection?: { pipeline?: unknown } } | undefined;
  return runner?.databaseConnection?.pipeline === true;
}

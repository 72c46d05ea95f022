/**
 * Awaits statements started together on one transaction's connection, in the order they were
 * started. Through a transaction pooler the app's connections are pipelined (`BoundedPgClient`):
 * statements started before the first answer comes back share one round trip, which is what a
 * pooler's extra hop is paid for. Elsewhere pg sends them one after another, as before; the
 * server runs them in the order sent either way. Every statement is awaited before the first
 * failure is thrown, so none is still in flight when the caller's transaction rolls back.
 */
export async function statementsTogether<T extends readonly unknown[] | []>(
  statements: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(statements);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

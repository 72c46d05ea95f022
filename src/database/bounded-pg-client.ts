import { Client, ClientConfig } from 'pg';

type Callback = (err: unknown, ...rest: unknown[]) => void;

/**
 * The node-postgres client of the app's pool, which never lets a broken connection stay in use.
 *
 * When a query outlives `query_timeout`, pg fails it with "Query read timeout" but keeps the
 * connection, with the unanswered query still at the head of its queue: released to the pool as
 * healthy, it would make every later query on it wait behind the lost one. This client drops its
 * socket instead. pg then fails whatever was queued on it at once and emits `error`, on which
 * TypeORM (or the pool, when idle) discards it; the next query gets a fresh connection.
 */
export class BoundedPgClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    // The pool listens for a connection error while the client is idle, and TypeORM while it
    // holds it, but nobody does between the pool handing a new connection over and TypeORM
    // taking it a microtask later. A backend terminated right after connecting sends its FATAL
    // then, and an 'error' event with no listener would end the process. Such a client is no
    // longer queryable: its next query fails (503) and the pool discards it on release.
    this.on('error', () => undefined);
  }

  // pg's query() has eight overloads; this one only observes their outcome and passes them on.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last = args.length - 1;
    if (last >= 0 && typeof args[last] === 'function') {
      const callback = args[last] as Callback;
      args[last] = (err: unknown, ...rest: unknown[]) => {
        this.dropIfTimedOut(err);
        callback(err, ...rest);
      };
    }
    const result = (Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) {
      // Registered before the caller's own handler, so the socket is gone before any ROLLBACK
      // is queued behind the lost query. The caller still receives the rejection.
      result.catch((err: unknown) => this.dropIfTimedOut(err));
    }
    return result;
  }

  private dropIfTimedOut(err: unknown): void {
    if (err instanceof Error && err.message === 'Query read timeout') {
      this.connection.stream.destroy();
    }
  }
}

import type { Writable } from 'node:stream';
import { Client, ClientConfig } from 'pg';

/**
 * The server-side timeouts of a connection through a transaction pooler (PgBouncer with
 * `pool_mode=transaction`), which refuses them as startup parameters and would hand a session
 * `SET` to other clients: they are set with `SET LOCAL`, per transaction.
 */
export interface LocalTimeouts {
  statementMs: number;
  idleInTransactionMs: number;
}

/** The client's config: pg's, plus the query deadline and, through a transaction pooler, the timeouts. */
export interface BoundedPgClientConfig extends ClientConfig {
  query_timeout?: number;
  local_timeouts?: LocalTimeouts;
}

/** TypeORM's first statement of every transaction (`PostgresQueryRunner.startTransaction`). */
const TRANSACTION_START = 'START TRANSACTION';

/** How often the sweep looks for a query past its time: the timeout is kept to within this. */
const SWEEP_INTERVAL_MS = 100;

/** The clients with a query under way; the one sweep looks at these alone. */
const busy = new Set<BoundedPgClient>();
let sweep: NodeJS.Timeout | undefined;

function sweepOverdue(): void {
  const now = performance.now();
  for (const client of busy) client.dropIfOverdue(now);
  if (busy.size === 0 && sweep) {
    clearInterval(sweep);
    sweep = undefined;
  }
}

/**
 * The node-postgres client of the app's pool: a connection whose query outlives its deadline
 * (`query_timeout`) is dropped, so a slow, silent or vanished server gives a 503, not a request
 * that never ends. Dropping the socket, rather than failing the query as pg does, keeps a lost
 * query from holding the connection: released as healthy, it would make every later query wait
 * behind it. pg then fails whatever was queued and emits `error`, and the client is discarded.
 *
 * The deadline is kept here, not handed to pg, whose timer per query cost a scavenge per page
 * (docs/performance.md): a query stamps its start, `readyForQuery` clears it, and one shared
 * timer, running only while a query is under way, drops overdue connections.
 */
export class BoundedPgClient extends Client {
  private readonly timeoutMs: number;
  /** `SET LOCAL` of the timeouts, when they are set per transaction; else null. */
  readonly setLocalTimeouts: string | null;
  /** When the query under way started (`performance.now()`), or 0 when none is. */
  private busySince = 0;
  /**
   * Whether TypeORM's transaction is open: from its START, sent ahead (`startAhead`), to its
   * COMMIT or ROLLBACK. The server's own status says so only once it has answered the START.
   */
  transactionOpen = false;
  /** The failure of this transaction's START, sent ahead; undefined if none. */
  startFailure: Error | undefined = undefined;

  constructor(config?: string | BoundedPgClientConfig) {
    const {
      query_timeout: timeoutMs,
      local_timeouts: local,
      ...rest
    }: BoundedPgClientConfig = typeof config === 'string'
      ? { connectionString: config }
      : (config ?? {});
    // Pipelined: statements a transaction starts together (`statementsTogether`) share one round
    // trip, direct or through a transaction pooler, where a statement's own transaction (below)
    // costs no round trip more than the statement alone. Every query still carries its own Sync.
    super({ ...rest, pipeline: true });
    this.timeoutMs = timeoutMs ?? 0;
    this.setLocalTimeouts = local
      ? `SET LOCAL statement_timeout = ${Math.trunc(local.statementMs)}; ` +
        `SET LOCAL idle_in_transaction_session_timeout = ${Math.trunc(local.idleInTransactionMs)}`
      : null;
    // The pool listens for a connection error while the client is idle, and TypeORM while it
    // holds it, but nobody does between the pool handing a new connection over and TypeORM
    // taking it a microtask later. A backend terminated right after connecting sends its FATAL
    // then, and an 'error' event with no listener would end the process. Such a client is no
    // longer queryable: its next query fails (503) and the pool discards it on release.
    this.on('error', () => undefined);
    // pg's connection says when the server has answered a query; pg sends the next one queued
    // on this client (if any) right after, and its deadline runs from then.
    this.connection.on('readyForQuery', () => {
      if (this.queued() > 0) this.busySince = performance.now();
      else this.idle();
    });
    this.connection.on('end', () => this.idle());
  }

  /** Stamps the start of a query, unless one is under way already (see `query` below). */
  noteQueryStart(): void {
    if (this.timeoutMs > 0 && this.busySince === 0) {
      this.busySince = performance.now();
      busy.add(this);
      sweep ??= setInterval(sweepOverdue, SWEEP_INTERVAL_MS).unref();
    }
  }

  /** Drops the connection when its query has outlived the deadline (called by the sweep). */
  dropIfOverdue(now: number): void {
    if (this.busySince !== 0 && now - this.busySince > this.timeoutMs) {
      this.idle();
      this.connection.stream.destroy();
    }
  }

  /** The queries waiting on this client behind the one under way (pg's own queues). */
  private queued(): number {
    const queues = this as unknown as { _queryQueue?: unknown[]; _sentQueryQueue?: unknown[] };
    return (queues._queryQueue?.length ?? 0) + (queues._sentQueryQueue?.length ?? 0);
  }

  private idle(): void {
    if (this.busySince === 0) return;
    this.busySince = 0;
    busy.delete(this);
  }
}

// pg's query() has eight typed overloads; this keeps them, notes the start and passes every call on.
const pgQuery = Client.prototype.query as (...args: unknown[]) => unknown;
BoundedPgClient.prototype.query = function (this: BoundedPgClient, ...args: unknown[]) {
  this.noteQueryStart();
  corkUntilTick(this);
  const [text, params] = args;
  if (text === TRANSACTION_START && params === undefined && args.length <= 2) {
    return startAhead(this, this.setLocalTimeouts);
  }
  if (text === 'COMMIT' || text === 'ROLLBACK') {
    this.transactionOpen = false;
    const failure = this.startFailure;
    this.startFailure = undefined;
    if (failure !== undefined && text === 'COMMIT') return Promise.reject(failure);
  }
  if (this.setLocalTimeouts === null) return pgQuery.apply(this, args);
  return queryWithLocalTimeouts(this, this.setLocalTimeouts, args);
} as Client['query'];

/** What TypeORM is answered for a START sent ahead (it reads nothing of it). */
const STARTED = Object.freeze({ command: 'START', rowCount: null, rows: [], fields: [] });

/**
 * A transaction's `START TRANSACTION` (with its `SET LOCAL`s through a transaction pooler) goes
 * out, and TypeORM is told it is done without waiting for the server: the transaction's first
 * statements follow it in the same round trip (pipelined), instead of a round trip of its own.
 * The server runs them after it, in order. A START that fails leaves the transaction aborted,
 * or the connection gone, so what follows fails too; and so that a failed START can never be
 * acknowledged, the transaction's COMMIT is refused with its error (the connection is then
 * discarded or rolled back as after any failed commit).
 */
function startAhead(client: BoundedPgClient, setLocal: string | null): Promise<unknown> {
  client.startFailure = undefined;
  client.transactionOpen = true;
  const text = setLocal === null ? TRANSACTION_START : `${TRANSACTION_START}; ${setLocal}`;
  (pgQuery.call(client, text) as Promise<unknown>).catch((e: unknown) => {
    client.startFailure = e instanceof Error ? e : new Error(String(e));
  });
  return Promise.resolve(STARTED);
}

/** The pipelined clients whose socket is corked until the next tick. */
const corked = new WeakSet<BoundedPgClient>();

/**
 * Holds a pipelined client's writes until the promise jobs under way have run: statements that
 * a caller starts together (`statementsTogether`) reach TypeORM's driver call a few promise jobs
 * apart, and the first must not go out alone, be answered, and leave the next a round trip of
 * its own. A tick comes once the microtask queue is empty, so no I/O waits on it.
 */
function corkUntilTick(client: BoundedPgClient): void {
  if (corked.has(client)) return;
  const stream = client.connection.stream as Partial<Writable>;
  if (!stream.cork || !stream.uncork) return;
  corked.add(client);
  stream.cork();
  process.nextTick(() => {
    corked.delete(client);
    stream.uncork!();
  });
}

/**
 * Through a transaction pooler, every statement runs in a transaction that sets the timeouts
 * first. TypeORM's `START TRANSACTION` carries them in the same message, sent ahead of the
 * transaction's first statements (`startAhead`). A statement outside a transaction (a pooled
 * read, `pg_notify`) gets a transaction of its own: `BEGIN; SET LOCAL …`, the statement and
 * `COMMIT`, written together (the client is in pg's pipeline mode there: one round trip).
 * After a failed statement the COMMIT ends the aborted transaction as a ROLLBACK would, and the
 * statement's error is the answer. The answer comes once the COMMIT is done, so the pool never
 * hands on a connection with a transaction open. Whether one is open: the client's own record
 * of TypeORM's (`transactionOpen`), or the server's last ReadyForQuery ('I' is none; null, not
 * yet connected). pg refuses a cursor in pipeline mode: the app opens none.
 */
function queryWithLocalTimeouts(client: BoundedPgClient, setLocal: string, args: unknown[]) {
  const status = client.getTransactionStatus();
  if (client.transactionOpen || (status !== 'I' && status !== null))
    return pgQuery.apply(client, args);
  const callback = typeof args.at(-1) === 'function' ? (args.pop() as Callback) : undefined;
  const answer = inOwnTransaction(client, setLocal, () => pgQuery.apply(client, args));
  if (!callback) return answer;
  answer.then(
    (result) => callback(null, result),
    (e: unknown) => callback(e),
  );
  return undefined;
}

type Callback = (err: unknown, result?: unknown) => void;

async function inOwnTransaction(
  client: BoundedPgClient,
  setLocal: string,
  statement: () => unknown,
): Promise<unknown> {
  const [begin, answer, commit] = await Promise.allSettled([
    pgQuery.call(client, `BEGIN; ${setLocal}`),
    statement(),
    pgQuery.call(client, 'COMMIT'),
  ]);
  if (begin.status === 'rejected') throw begin.reason;
  if (answer.status === 'rejected') throw answer.reason;
  if (commit.status === 'rejected') throw commit.reason;
  return answer.value;
}

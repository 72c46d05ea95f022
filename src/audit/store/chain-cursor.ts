import { performance } from 'node:perf_hooks';
import type { Pool, PoolClient } from 'pg';
import { QueryFailedError } from 'typeorm';
import { AuditRow, seqOf } from '../codec/audit-row';
import { RAW_TEXT_TYPES, SqlQuery } from './audit-row-query';
import { BatchSizer } from './batch-sizer';

/** How an export reads its chain (`AuditRepository.exportReads`; tests lower them). */
export interface ExportReads {
  /** Rows a batch holds at most; `BatchSizer` also keeps a batch near its byte budget. */
  batchRows: number;
  /**
   * A cursor whose reader has not come back for more within this long is closed and its
   * connection released, to be reopened where it stood: a slow or stalled download holds no
   * pooled connection, and never meets the server's idle-in-transaction timeout (30 s).
   */
  idleMs: number;
  /**
   * A cursor open this long is closed at the next batch and reopened, so that no export holds
   * one snapshot (and a connection) for long: on a standby, a long-held snapshot is cancelled by
   * recovery after max_standby_streaming_delay (30 s by default); on the primary, it holds vacuum
   * back everywhere.
   */
  maxOpenMs: number;
}

/** The statements of a cursor walk: the chain's last `seq`, and its rows in a `seq` range. */
export interface CursorQueries {
  lastSeq: SqlQuery;
  rows(afterSeq: number, upToSeq: number): SqlQuery;
}

const CURSOR = 'audit_export';

/** As TypeORM reports a failed query, so the error filter and the log treat it alike. */
function failed(query: SqlQuery, e: unknown): QueryFailedError {
  return new QueryFailedError(query.text, query.values, e as Error);
}

/**
 * One cursor in one read-only transaction, on a connection of the pool's own. A cursor lives in
 * its transaction, so this works through a transaction pooler as directly; each FETCH is a
 * statement of its own, so the statement and query timeouts bound each batch, not the export.
 */
class CursorSegment {
  private readonly openedAt = performance.now();
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set once the segment ends: by its reader, on failure, or by the idle timer. */
  private closing: Promise<void> | null = null;

  private constructor(private readonly client: PoolClient) {}

  /**
   * Opens a cursor on the rows after `afterSeq`, up to `upToSeq`; on the first opening (null),
   * up to the chain's last `seq` in the same snapshot, which every reopening keeps: events are
   * append-only, so the walk reads the chain as it stood when the export began, whoever appends.
   */
  static async open(pool: Pool, queries: CursorQueries, afterSeq: number, upToSeq: number | null) {
    const client = await pool.connect();
    const segment = new CursorSegment(client);
    let query = queries.lastSeq;
    try {
      // Pipelined (the pool's clients are): one round trip for the transaction and the bound.
      const [, , last] = await Promise.all([
        client.query('START TRANSACTION'),
        client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY'),
        upToSeq === null
          ? client.query<AuditRow>({ ...query, rowMode: 'array', types: RAW_TEXT_TYPES })
          : null,
      ]);
      const bound = last === null ? (upToSeq as number) : Number(last.rows[0]?.[0] ?? 0);
      query = queries.rows(afterSeq, bound);
      await client.query(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${query.text}`, query.values);
      return { segment, upToSeq: bound };
    } catch (e) {
      await segment.close(true);
      throw failed(query, e);
    }
  }

  /**
   * The next `count` rows. Through pg's callback API: rows read through its promise API lived on
   * into the next batch's scavenges and were promoted to the old space (194 MiB of 200k rows,
   * against 7 MiB; docs/performance.md), which is what the export's RSS growth was made of.
   */
  fetch(count: number): Promise<AuditRow[]> {
    const text = `FETCH FORWARD ${Math.trunc(count)} FROM ${CURSOR}`;
    return new Promise((resolve, reject) => {
      this.client.query<AuditRow>(
        { text, rowMode: 'array', types: RAW_TEXT_TYPES },
        (e: Error | undefined, result) => {
          if (e) reject(failed({ text, values: [] }, e));
          else resolve(result.rows);
        },
      );
    });
  }

  get ageMs(): number {
    return performance.now() - this.openedAt;
  }

  /** Closes the segment unless its reader comes back (`resume`) within `ms`. */
  closeWhenIdle(ms: number): void {
    this.idleTimer = setTimeout(() => void this.close(), ms);
    this.idleTimer.unref();
  }

  /** Takes the segment up again; false when the idle timer has closed it. */
  resume(): boolean {
    clearTimeout(this.idleTimer);
    return this.closing === null;
  }

  /**
   * Ends the transaction and gives the connection back to the pool. A connection whose
   * transaction cannot be ended (gone, or dropped at its query deadline) is destroyed instead,
   * so no pooled connection is ever handed on inside a transaction. Never rejects.
   */
  close(failure = false): Promise<void> {
    clearTimeout(this.idleTimer);
    this.closing ??= this.end(failure);
    return this.closing;
  }

  private async end(failure: boolean): Promise<void> {
    try {
      await this.client.query(failure ? 'ROLLBACK' : 'COMMIT');
      this.client.release();
    } catch (e) {
      this.client.release(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

/**
 * A chain's rows in `seq` order, a batch at a time, through server-side cursors: the rows of a
 * batch are all pg holds, and the next batch is fetched only when the consumer asks for it (the
 * export's reply has drained). However the walk ends (the last row, an error, or the consumer
 * returning early because the client went away), the transaction ends and the connection goes
 * back to the pool.
 */
export async function* cursorBatches(
  pool: Pool,
  queries: CursorQueries,
  reads: ExportReads,
): AsyncGenerator<AuditRow[]> {
  const sizer = new BatchSizer(reads.batchRows);
  let afterSeq = 0;
  let upToSeq: number | null = null;
  let segment: CursorSegment | null = null;
  let failure = false;
  try {
    for (;;) {
      if (segment === null) {
        const opened: { segment: CursorSegment; upToSeq: number } = await CursorSegment.open(
          pool,
          queries,
          afterSeq,
          upToSeq,
        );
        ({ segment, upToSeq } = opened);
      }
      const count = sizer.next;
      const rows = await segment.fetch(count);
      const done = rows.length < count;
      if (rows.length > 0) {
        sizer.saw(rows);
        afterSeq = seqOf(rows[rows.length - 1]);
      }
      if (done || segment.ageMs >= reads.maxOpenMs) {
        // The last batch's connection goes back before its rows are written.
        await segment.close();
        segment = null;
      } else {
        segment.closeWhenIdle(reads.idleMs);
      }
      if (rows.length > 0) yield rows;
      if (done) return;
      if (segment !== null && !segment.resume()) {
        await segment.close();
        segment = null;
      }
    }
  } catch (e) {
    failure = true;
    throw e;
  } finally {
    await segment?.close(failure);
  }
}

/**
 * A worker thread that checks one stretch of a chain on its own PostgreSQL connection. Reading
 * a row costs node-postgres more than hashing it, so verify splits a long chain into stretches
 * and walks them at once, one thread each: both the reading and the hashing then use every core.
 * Loaded by `chain-workers.ts`; it imports nothing of Nest or TypeORM, so it starts in
 * milliseconds.
 */
import type { ClientConfig } from 'pg';
import { parentPort, workerData } from 'node:worker_threads';
import { BoundedPgClient } from '../../database/connection/bounded-pg-client';
import { AuditRow } from '../codec/audit-row';
import { chainRowsQuery, RAW_TEXT_TYPES } from '../store/audit-row-query';
import { SegmentWalker } from './chain-segment';
import type { TreeCapture } from '../tree/tree-capture';

export interface SegmentJob {
  connection: ClientConfig;
  chainId: string;
  afterSeq: number;
  upToSeq: number;
  batch: number;
  /** The stretch's part of the Merkle tree to grow, for the checkpoints verify checks. */
  tree: TreeCapture;
}

export type SegmentReply =
  { ok: true; result: import('./chain-segment').SegmentResult } | { ok: false; message: string };

async function walk(job: SegmentJob) {
  // The app's own client: the pool's deadline per query, without pg's per-query timer.
  const client = new BoundedPgClient(job.connection);
  await client.connect();
  try {
    const read = (afterSeq: number) => {
      const { text, values } = chainRowsQuery('postgres', job.chainId, {
        afterSeq,
        upToSeq: Math.min(afterSeq + job.batch, job.upToSeq),
      });
      return client.query<AuditRow>({
        text,
        values,
        rowMode: 'array' as const,
        types: RAW_TEXT_TYPES,
      });
    };
    const walker = new SegmentWalker('postgres', job.tree);
    let afterSeq = job.afterSeq;
    let next = read(afterSeq);
    while (afterSeq < job.upToSeq) {
      const { rows } = await next;
      afterSeq = Math.min(afterSeq + job.batch, job.upToSeq);
      // The next range loads while this one hashes.
      if (afterSeq < job.upToSeq) next = read(afterSeq);
      if (!walker.feed(rows)) break;
    }
    // A query still in flight after an early stop ends with the connection.
    next.catch(() => undefined);
    return walker.finish();
  } finally {
    await client.end().catch(() => undefined);
  }
}

if (parentPort) {
  const port = parentPort;
  walk(workerData as SegmentJob).then(
    (result) => port.postMessage({ ok: true, result } satisfies SegmentReply),
    (e: unknown) =>
      port.postMessage({
        ok: false,
        message: e instanceof Error ? e.message : String(e),
      } satisfies SegmentReply),
  );
}

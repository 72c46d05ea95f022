/**
 * `npm run bench:audit`'s reads straight from PostgreSQL, around the app: where a page at depth
 * starts, the chain's head, a stored event's tree leaf, and the rate at which the chain's rows
 * are merely read (the bound verify is judged against).
 */
import { performance } from 'node:perf_hooks';
import { leafOfRow } from '../../src/audit/chain/audit-chain';
import { AUDIT_ROW_COLUMNS } from '../../src/audit/codec/audit-row';
import { chainRowsQuery, RAW_TEXT_TYPES } from '../../src/audit/store/audit-row-query';
import { VERIFY_BATCH } from '../../src/audit/chain/chain-segment';
import { withClient } from '../../test/harness/servers/postgres';

/** Verify's own batch: the raw read asks for the same seq ranges. */
const READ_BATCH = VERIFY_BATCH;

/** The API's cursor for the row at `depth` (bench setup only: the app itself never OFFSETs). */
export async function cursorAt(url: string, businessId: string, depth: number, action?: string) {
  if (depth === 0) return undefined;
  const row = await withClient(url, (pg) =>
    pg.query<{ occurred_at: Date; id: string }>(
      `SELECT occurred_at, id FROM audit_events WHERE business_id = $1
       ${action ? 'AND action = $3' : ''}
       ORDER BY occurred_at DESC, id DESC OFFSET $2 LIMIT 1`,
      action ? [businessId, depth - 1, action] : [businessId, depth - 1],
    ),
  );
  const { occurred_at, id } = row.rows[0];
  return Buffer.from(JSON.stringify([occurred_at.toISOString(), id])).toString('base64url');
}

/**
 * The rate at which one connection merely reads the chain's rows, as verify asks for them (seq
 * ranges of VERIFY_BATCH, the next asked for as soon as one arrives), with node-postgres's cheapest
 * reading: rowMode 'array' and no type parsers. Verify cannot beat reading; this says how close
 * it comes.
 */
export async function rawReadRate(url: string, businessId: string, lastSeq: number) {
  return withClient(url, async (pg) => {
    const range = (afterSeq: number) => {
      const upToSeq = Math.min(afterSeq + READ_BATCH, lastSeq);
      const { text, values } = chainRowsQuery('postgres', businessId, { afterSeq, upToSeq });
      return pg.query<unknown[]>({ text, values, rowMode: 'array', types: RAW_TEXT_TYPES });
    };
    const began = performance.now();
    let rows = 0;
    let afterSeq = 0;
    let next = range(0);
    while (afterSeq < lastSeq) {
      const result = await next;
      afterSeq = Math.min(afterSeq + READ_BATCH, lastSeq);
      if (afterSeq < lastSeq) next = range(afterSeq);
      rows += result.rows.length;
      if (result.rows[0]?.length !== AUDIT_ROW_COLUMNS.length) throw new Error('raw read: no rows');
    }
    const seconds = (performance.now() - began) / 1000;
    return { rows, seconds, perSecond: rows / seconds };
  });
}

export async function chainHead(url: string, businessId: string): Promise<number> {
  const head = await withClient(url, (pg) =>
    pg.query<{ seq: number }>('SELECT seq FROM audit_chain_heads WHERE chain_id = $1', [
      businessId,
    ]),
  );
  return head.rows[0].seq;
}

/** The tree leaf of the event at `seq`, from its stored row. */
export async function leafAt(url: string, businessId: string, seq: number): Promise<Buffer> {
  return withClient(url, async (pg) => {
    const { text, values } = chainRowsQuery('postgres', businessId, {
      afterSeq: seq - 1,
      upToSeq: seq,
    });
    const { rows } = await pg.query<unknown[]>({
      text,
      values,
      rowMode: 'array',
      types: RAW_TEXT_TYPES,
    });
    return leafOfRow(rows[0], 'postgres');
  });
}

import { Injectable } from '@nestjs/common';
import { assertBusinessId } from '../../common/tenant-scope';
import { rowBatches, tupleMarks } from '../../database/statements/row-batches';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';

export type Granularity = 'minute' | 'hour' | 'day';
export const GRANULARITIES: readonly Granularity[] = ['minute', 'hour', 'day'];

const TABLE: Record<Granularity, string> = {
  minute: 'verification_minutes',
  hour: 'verification_hours',
  day: 'verification_days',
};

/** What a read may group by, and the column each is. */
export const GROUP_COLUMNS = {
  outcome: 'outcome',
  tag: 'tag',
  identity: 'identity_id',
  token: 'token_id',
} as const;
export type GroupKey = keyof typeof GROUP_COLUMNS;

/** What stands for no business, identity or token (an unknown token): the key has no NULL. */
export const NONE = '00000000-0000-0000-0000-000000000000';

/** One counter a batch adds to its minute: ids or `NONE`, tags or '' for none. */
export interface CountRow {
  bucket: Date;
  businessId: string;
  tokenId: string;
  outcome: string;
  tag: string;
  identityId: string;
  count: number;
  /** Of `count`, those the admin console made; none when left out. */
  consoleCount?: number;
}

/**
 * Whose calls a read counts: `api`, every caller but the admin console; `console`, the console's
 * own; `all`, both.
 */
export const CLIENTS = ['api', 'console', 'all'] as const;
export type Client = (typeof CLIENTS)[number];

/** The sum a read takes for each client. */
const SUM: Record<Client, string> = {
  api: 'SUM(count - console_count)',
  console: 'SUM(console_count)',
  all: 'SUM(count)',
};

/** A read's row: its bucket, the grouped columns (by `GroupKey`; no id is null), and the sum. */
export interface CountSum {
  bucket: Date;
  groups: Partial<Record<GroupKey, string | null>>;
  count: number;
}

/** Whose counts a read covers: one business (`identityId` narrows to a holder), or all. */
export type CountScope =
  | { businessId: string; identityId: string | null; tokenId?: string | null }
  | { businessId: null; filter: string | null };

/** Rows per INSERT: 8 parameters each stays far below both drivers' limits. */
const ROWS_PER_STATEMENT = 512;
const KEY = 'bucket, business_id, token_id, outcome, tag';

/**
 * Verification counts, one table per granularity (migration VerificationAnalytics). The writes
 * are batches across businesses, as upserts that add to what another instance wrote; the reads
 * take the business id first, or say that they are the platform's.
 */
@Injectable()
export class VerificationCountsRepository {
  /** Adds each row's count to its minute, creating it when absent. */
  async addMinutes(rows: CountRow[], tx: Transaction): Promise<void> {
    // Batches of fixed sizes, each text prepared once (`rowBatches`): a flush's row count varies.
    for (const chunk of rowBatches(rows, ROWS_PER_STATEMENT)) {
      const params: unknown[] = [];
      for (const r of chunk) {
        params.push(tx.time(r.bucket), r.businessId, r.tokenId, r.outcome, r.tag);
        params.push(r.identityId, r.count, r.consoleCount ?? 0);
      }
      await tx.statement(
        `INSERT INTO verification_minutes (${KEY}, identity_id, count, console_count) ` +
          `VALUES ${tupleMarks(chunk.length, 8)} ON CONFLICT (${KEY}) DO UPDATE SET ` +
          'count = verification_minutes.count + excluded.count, ' +
          'console_count = verification_minutes.console_count + excluded.console_count',
        params,
      );
    }
  }

  /**
   * Sets the `to` bucket starting at `start` to the sum of the `from` buckets within
   * [start, end): a recomputation, not an addition, so that instances running it for the same
   * bucket, or one running it twice, leave the same rows. Rows in key order, for lock order.
   */
  async rollUp(from: Granularity, to: Granularity, start: Date, end: Date, tx: Transaction) {
    const target = TABLE[to];
    await tx.query(
      native(
        `INSERT INTO ${target} (${KEY}, identity_id, count, console_count) ` +
          // PostgreSQL types a parameter in a select list by a cast alone.
          `SELECT ${tx.postgres ? 'CAST(? AS timestamptz)' : '?'}, ` +
          'business_id, token_id, outcome, tag, identity_id, SUM(count), SUM(console_count) ' +
          `FROM ${TABLE[from]} WHERE bucket >= ? AND bucket < ? ` +
          // A token has one identity, so grouping by it splits nothing.
          'GROUP BY business_id, token_id, outcome, tag, identity_id ' +
          'ORDER BY business_id, token_id, outcome, tag ' +
          `ON CONFLICT (${KEY}) DO UPDATE SET count = excluded.count, ` +
          'console_count = excluded.console_count',
        tx.postgres,
      ),
      [tx.time(start), tx.time(start), tx.time(end)],
    );
  }

  /** Deletes the buckets of `granularity` that began before `cutoff`, in every business. */
  async deleteOlderThan(granularity: Granularity, cutoff: Date, tx: Transaction): Promise<void> {
    await tx.query(native(`DELETE FROM ${TABLE[granularity]} WHERE bucket < ?`, tx.postgres), [
      tx.time(cutoff),
    ]);
  }

  /**
   * The sums of `client`'s calls per bucket in [from, to) and per the `groupBy` columns, oldest
   * bucket first, at most `limit` rows; a group with none of them is left out. A business's
   * scope asserts its id; the platform's may filter by one.
   */
  async sums(
    scope: CountScope,
    granularity: Granularity,
    from: Date,
    to: Date,
    groupBy: readonly GroupKey[],
    limit: number,
    db: Reader,
    client: Client = 'all',
  ): Promise<CountSum[]> {
    const where = ['bucket >= ?', 'bucket < ?'];
    const params: unknown[] = [db.time(from), db.time(to)];
    if (scope.businessId !== null) {
      assertBusinessId(scope.businessId);
      where.push('business_id = ?');
      params.push(scope.businessId);
      if (scope.identityId !== null) {
        where.push('identity_id = ?');
        params.push(scope.identityId);
      }
      if (scope.tokenId) {
        where.push('token_id = ?');
        params.push(scope.tokenId);
      }
    } else if (scope.filter !== null) {
      where.push('business_id = ?');
      params.push(scope.filter);
    }
    const columns = groupBy.map((g) => GROUP_COLUMNS[g]);
    const grouped = ['bucket', ...columns].join(', ');
    const rows: Record<string, unknown>[] = await db.query(
      native(
        `SELECT ${grouped}, ${SUM[client]} AS total FROM ${TABLE[granularity]} ` +
          `WHERE ${where.join(' AND ')} GROUP BY ${grouped} HAVING ${SUM[client]} > 0 ` +
          `ORDER BY ${grouped} ` +
          `LIMIT ${Math.trunc(limit)}`,
        db.postgres,
      ),
      params,
    );
    return rows.map((row) => {
      const groups: Partial<Record<GroupKey, string | null>> = {};
      for (const g of groupBy) {
        const value = String(row[GROUP_COLUMNS[g]]);
        groups[g] = value === NONE ? null : value;
      }
      return { bucket: timeOf(row.bucket), groups, count: Number(row.total) };
    });
  }
}

/** `?` placeholders as the driver takes them: `$1, $2, …` on PostgreSQL. */
function native(sql: string, postgres: boolean): string {
  if (!postgres) return sql;
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A bucket as read back: a Date (PostgreSQL) or SQLite's UTC `YYYY-MM-DD HH:MM:SS.SSS`. */
function timeOf(value: unknown): Date {
  if (value instanceof Date) return value;
  return new Date(`${String(value).replace(' ', 'T')}Z`);
}

import type { AuditRow } from '../codec/audit-row';

/** About how many bytes of rows one batch of an export or a verify holds. */
export const BATCH_BYTE_BUDGET = 4 * 1024 * 1024;

/** The text a raw row holds, at two bytes a UTF-16 unit; other values count 8. */
export function rowBytes(row: AuditRow): number {
  let bytes = 0;
  for (const value of row) bytes += typeof value === 'string' ? 2 * value.length : 8;
  return bytes;
}

/**
 * How many rows the next batch reads, so that a batch holds about `budget` bytes as well as at
 * most `max` rows: most events are a few hundred bytes, but their text is the callers', and rows
 * stored before the byte budget can be far larger. Sized from the batch just read.
 */
export class BatchSizer {
  private size: number;

  constructor(
    private readonly max: number,
    private readonly min = 10,
    private readonly budget = BATCH_BYTE_BUDGET,
  ) {
    this.size = max;
  }

  get next(): number {
    return this.size;
  }

  /** Learns from a batch that was read. */
  saw(rows: readonly AuditRow[]): void {
    if (rows.length === 0) return;
    let bytes = 0;
    for (const row of rows) bytes += rowBytes(row);
    const perRow = Math.max(1, bytes / rows.length);
    this.size = Math.max(this.min, Math.min(this.max, Math.floor(this.budget / perRow)));
  }
}

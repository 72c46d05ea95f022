/**
 * `items` in batches for multi-row statements (`VALUES (…), (…)` or `IN (…)`), each batch's size a
 * power of two, at most `max`: 37 rows go as 32, 4 and 1. A statement's text holds one tuple per
 * row, so batches of any size made a new text for each count seen (a flush of 37 rows, then of
 * 38), each parsed by SQLite anew and, through TypeORM's cache, pushing the hot statements out of
 * it; powers of two bound a statement to log2(max) + 1 texts, each prepared once
 * (`Transaction.statement`), for at most that many statements a batch.
 */
export function* rowBatches<T>(items: readonly T[], max: number): Generator<T[]> {
  let i = 0;
  while (i < items.length) {
    let size = 1;
    while (size * 2 <= Math.min(max, items.length - i)) size *= 2;
    yield items.slice(i, i + size);
    i += size;
  }
}

/** `(?, ?, …), …`: `rows` tuples of `width` marks, for `Transaction.statement`. */
export function tupleMarks(rows: number, width: number): string {
  const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => tuple).join(', ');
}

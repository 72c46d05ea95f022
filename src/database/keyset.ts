import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { Keyset } from '../common/validation/pagination';

/**
 * Orders by (`atColumn`, `idColumn`) ascending and reads the page after `after`, one row more
 * than `limit` so the caller knows whether a next page exists. No OFFSET: the cost of a page
 * does not grow with its depth.
 */
export function keysetPage<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  atColumn: string,
  idColumn: string,
  limit: number,
  after: Keyset | null,
): SelectQueryBuilder<T> {
  qb.orderBy(atColumn, 'ASC')
    .addOrderBy(idColumn, 'ASC')
    .limit(limit + 1);
  if (after) {
    qb.andWhere(keysetAfter(atColumn, idColumn, '>'), {
      afterAt: new Date(after.at),
      afterId: after.id,
    });
  }
  return qb;
}

/**
 * The rows after a keyset position (`:afterAt`, `:afterId`) in `direction`, as SQL. The leading
 * bound on `atColumn` alone says nothing the rest does not, but it lets both planners range over
 * the index from the position: without it a page read every row before it (PostgreSQL filtered
 * 18,001 rows for a token page 18,000 deep, 2.7 ms, against 0.02 ms; SQLite 5.9 against 0.15).
 */
export function keysetAfter(atColumn: string, idColumn: string, direction: '<' | '>'): string {
  return (
    `${atColumn} ${direction}= :afterAt AND (${atColumn} ${direction} :afterAt OR ` +
    `(${atColumn} = :afterAt AND ${idColumn} ${direction} :afterId))`
  );
}

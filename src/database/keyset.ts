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
    qb.andWhere(`(${atColumn} > :afterAt OR (${atColumn} = :afterAt AND ${idColumn} > :afterId))`, {
      afterAt: new Date(after.at),
      afterId: after.id,
    });
  }
  return qb;
}

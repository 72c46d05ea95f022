import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Reader } from '../../../database/units/reader';
import type { Transaction } from '../../../database/units/unit-of-work';
import { ApiToken } from '../entities/api-token.entity';
import { STATUS_LIST_CAPACITY, StatusList } from '../entities/status-list.entity';

/** A token's place in a status list. */
export interface StatusPlace {
  listId: string;
  index: number;
}

/** What a list's bits are read from: its tokens that are not plainly valid at `now`. */
export interface ListedToken {
  index: number;
  revoked: boolean;
  expired: boolean;
  disabled: boolean;
}

interface TakenRow {
  id: string;
  next_index: number | string;
}

const takePlace = (ofBusiness: string) =>
  'UPDATE status_lists SET next_index = next_index + 1 WHERE next_index < capacity AND id = ' +
  `(SELECT id FROM status_lists WHERE ${ofBusiness} AND next_index < capacity ` +
  'ORDER BY created_at, id LIMIT 1) RETURNING id, next_index';
const TAKE_PLACE = takePlace('business_id = ?');
const TAKE_PLATFORM_PLACE = takePlace('business_id IS NULL');

/**
 * The status lists and their places. A list is reached by its id alone (it is public, and its
 * id is random); its tokens' places are read across their business by that id, which is the
 * list's own scope: every token of a list is of the list's business (`place` puts them so).
 */
@Injectable()
export class StatusListsRepository {
  /**
   * A place for a new token of `businessId` (null: a platform token), taken in `tx`: the next
   * index of the business's oldest list with room, or index 0 of a new list. One conditional
   * UPDATE takes it, so two issuers never take one place; it holds the list's row until `tx`
   * ends, so call it once the business's audit chain head is held (after the token's event is
   * published): every holder of the list then took the chain first, and none waits the other way.
   */
  async place(businessId: string | null, tx: Transaction): Promise<StatusPlace> {
    const [taken] =
      businessId === null
        ? await tx.statementRows<TakenRow>(TAKE_PLATFORM_PLACE, [])
        : await tx.statementRows<TakenRow>(TAKE_PLACE, [businessId]);
    if (taken) return { listId: taken.id, index: Number(taken.next_index) - 1 };
    // Two issuers that find the last list full at once each open one: both are used from then on.
    const list: StatusList = {
      id: randomUUID(),
      businessId,
      capacity: STATUS_LIST_CAPACITY,
      nextIndex: 1,
      createdAt: new Date(),
    };
    await tx.insert(StatusList, list);
    return { listId: list.id, index: 0 };
  }

  /** The list, by its public id (null when there is none). */
  findList(listId: string, db: Reader): Promise<StatusList | null> {
    return db.findOne(StatusList, {
      where: { id: listId },
      select: ['id', 'businessId', 'capacity', 'nextIndex'],
    });
  }

  /**
   * The list's tokens that are not plainly valid at `now` (revoked, expired or paused), or every
   * token of it when `all` (a suspended business suspends them all); and the earliest expiry to
   * come, after which the list reads otherwise.
   */
  async listed(
    listId: string,
    now: Date,
    all: boolean,
    db: Reader,
  ): Promise<{ tokens: ListedToken[]; nextExpiry: Date | null }> {
    const query = db
      .createQueryBuilder(ApiToken, 't')
      .select(['t.statusIndex', 't.revokedAt', 't.expiresAt', 't.disabledAt'])
      .where('t.status_list_id = :listId', { listId });
    if (!all) {
      query.andWhere(
        '(t.revoked_at IS NOT NULL OR t.disabled_at IS NOT NULL OR t.expires_at <= :now)',
        { now: db.time(now) },
      );
    }
    const [rows, next] = await Promise.all([
      query.getMany(),
      db
        .createQueryBuilder(ApiToken, 't')
        .select('MIN(t.expires_at)', 'next')
        .where('t.status_list_id = :listId', { listId })
        .andWhere('t.revoked_at IS NULL AND t.expires_at > :now', { now: db.time(now) })
        .getRawOne<{ next: Date | string | null }>(),
    ]);
    const tokens = rows.map((row) => ({
      index: row.statusIndex!,
      revoked: row.revokedAt !== null,
      expired: row.expiresAt !== null && row.expiresAt <= now,
      disabled: row.disabledAt !== null,
    }));
    return { tokens, nextExpiry: next?.next ? readTime(next.next) : null };
  }
}

/** A raw MIN() of a time column: a Date from PostgreSQL, text (UTC, no zone) from SQLite. */
function readTime(value: Date | string): Date {
  if (value instanceof Date) return value;
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
}

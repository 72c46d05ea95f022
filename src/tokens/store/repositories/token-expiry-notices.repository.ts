import { Injectable } from '@nestjs/common';
import type { Reader } from '../../../database/units/reader';
import type { Transaction } from '../../../database/units/unit-of-work';
import { ApiToken } from '../entities/api-token.entity';

/**
 * A notice's window: tokens expiring in (after, until] that have not had `key` and, when
 * `lifeOverDays` is set, whose whole life (expires_at - created_at) is longer than that.
 */
export interface NoticeWindow {
  key: string;
  after: Date;
  until: Date;
  lifeOverDays: number | null;
}

/**
 * The expiry notices' table (`token_expiry_notices`, one row per token and notice sent) and the
 * cross-tenant read that finds who is due one: a job of the installation's, not of one tenant,
 * so its read says so in its name, as the verifier's lookup by hash does.
 */
@Injectable()
export class TokenExpiryNoticesRepository {
  /**
   * Up to `limit` unrevoked tokens, in any business, expiring within the window that have not
   * had its notice, soonest first. A token rotated with a grace period is left out: the rotation
   * set its expiry, and its successor (`rotated_to_id`, set in the rotation's transaction)
   * carries on, so "your token expires" would be a false alarm.
   */
  findDueAnyBusiness(window: NoticeWindow, limit: number, db: Reader): Promise<ApiToken[]> {
    const query = db
      .createQueryBuilder(ApiToken, 't')
      .where('t.revokedAt IS NULL')
      .andWhere('t.rotatedToId IS NULL')
      .andWhere('t.expiresAt > :after AND t.expiresAt <= :until', {
        after: window.after,
        until: window.until,
      });
    if (window.lifeOverDays !== null) {
      // Made before its expiry less the notice: exact on both drivers, where a difference of two
      // times would be a float on SQLite. Seconds, not days, so PostgreSQL's daylight-saving
      // arithmetic of a day never applies.
      const seconds = window.lifeOverDays * 86_400;
      query.andWhere(
        db.postgres
          ? 't.createdAt < t.expiresAt - make_interval(secs => :seconds)'
          : "t.createdAt < strftime('%Y-%m-%d %H:%M:%f', t.expiresAt, :modifier)",
        { seconds, modifier: `-${seconds} seconds` },
      );
    }
    return query
      .andWhere(
        'NOT EXISTS (SELECT 1 FROM token_expiry_notices n WHERE n.token_id = t.id AND n.notice = :key)',
        { key: window.key },
      )
      .orderBy('t.expiresAt', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Records the notice unless it is there: true for the one insert that wins. */
  async claim(tokenId: string, key: string, now: Date, tx: Transaction): Promise<boolean> {
    const pg = tx.postgres;
    const rows = await tx.query<unknown[]>(
      pg
        ? 'INSERT INTO token_expiry_notices (token_id, notice, sent_at) VALUES ($1, $2, $3) ' +
            'ON CONFLICT DO NOTHING RETURNING token_id'
        : 'INSERT INTO token_expiry_notices (token_id, notice, sent_at) VALUES (?, ?, ?) ' +
            'ON CONFLICT DO NOTHING RETURNING token_id',
      [tokenId, key, tx.time(now)],
    );
    return rows.length > 0;
  }
}

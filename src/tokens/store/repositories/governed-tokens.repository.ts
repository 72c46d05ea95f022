import { Injectable } from '@nestjs/common';
import type { Keyset } from '../../../common/validation/pagination';
import { assertBusinessId } from '../../../common/tenant-scope';
import { keysetPage } from '../../../database/keyset';
import type { Reader } from '../../../database/units/reader';
import { ApiToken } from '../entities/api-token.entity';

/** When a token was last used, or made if never used: what "unused since" counts from. */
const IDLE_SINCE = 'COALESCE(t.last_used_at, t.created_at)';

/** An idle window: tokens unused since before `before` and, when set, since after `after`. */
export interface IdleWindow {
  before: Date;
  after: Date | null;
  /** Leave out a token told of this disuse already (an `idle:` notice sent since its last use). */
  unnoticed: boolean;
}

/** The reads a business's token policy makes of its tokens: the violations list and disuse. */
@Injectable()
export class GovernedTokensRepository {
  /** A page of the business's active tokens (of one holder, when given), oldest first. */
  activePage(
    businessId: string,
    identityId: string | undefined,
    now: Date,
    limit: number,
    after: Keyset | null,
    db: Reader,
  ): Promise<ApiToken[]> {
    const qb = this.active(businessId, now, db);
    if (identityId !== undefined) qb.andWhere('t.identity_id = :identityId', { identityId });
    return keysetPage(qb, 't.created_at', 't.id', limit, after).getMany();
  }

  /** Up to `limit` of the business's active or paused tokens idle within `window`, longest first. */
  findIdle(
    businessId: string,
    window: IdleWindow,
    now: Date,
    limit: number,
    db: Reader,
  ): Promise<ApiToken[]> {
    const qb = this.active(businessId, now, db).andWhere(`${IDLE_SINCE} < :before`, {
      before: window.before,
    });
    if (window.after) qb.andWhere(`${IDLE_SINCE} >= :after`, { after: window.after });
    if (window.unnoticed) {
      qb.andWhere(
        'NOT EXISTS (SELECT 1 FROM token_expiry_notices n WHERE n.token_id = t.id ' +
          `AND n.notice LIKE 'idle:%' AND n.sent_at > ${IDLE_SINCE})`,
      );
    }
    return qb.orderBy(IDLE_SINCE, 'ASC').addOrderBy('t.id', 'ASC').limit(limit).getMany();
  }

  /** The business's tokens neither revoked nor expired at `now`. */
  private active(businessId: string, now: Date, db: Reader) {
    assertBusinessId(businessId);
    return db
      .createQueryBuilder(ApiToken, 't')
      .where('t.business_id = :businessId', { businessId })
      .andWhere('t.revoked_at IS NULL')
      .andWhere('(t.expires_at IS NULL OR t.expires_at > :now)', { now });
  }
}

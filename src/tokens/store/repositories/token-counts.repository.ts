import { Injectable } from '@nestjs/common';
import { And, IsNull, LessThanOrEqual, MoreThan, Not } from 'typeorm';
import { assertBusinessId } from '../../../common/tenant-scope';
import type { ReadSource } from '../../../database/connection/read-routing';
import { ApiToken } from '../entities/api-token.entity';
import { RISKY_TOKEN_SQL } from './risky-token-sql';

/** How many of a business's tokens are in each state that asks for attention. */
export interface TokenCounts {
  active: number;
  expiringSoon: number;
  disabled: number;
  risky: number;
  /** Console sessions an SSO sign-in made (hours long): counted apart, never as expiring soon. */
  consoleSessions: number;
  revokedRecently: number;
}

/** The instants the counts are taken against. */
export interface CountsAt {
  now: Date;
  /** Active tokens expiring at or before this are expiring soon. */
  expiringBy: Date;
  /** Tokens revoked at or after this are counted as revoked recently. */
  revokedSince: Date;
  /** `staleBefore` of the risk rule. */
  staleBefore: Date;
}

const LIVE = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)';
/** A console session an SSO sign-in made: hours long by design, never "expiring soon". */
const SESSION_ORIGIN = 'console-sso';
const SESSION = `origin = '${SESSION_ORIGIN}'`;
const NOT_SESSION = `(origin IS NULL OR origin <> '${SESSION_ORIGIN}')`;
const count = (sql: string) => `COALESCE(SUM(CASE WHEN ${sql} THEN 1 ELSE 0 END), 0)`;

/**
 * The counts of the console's home page, in one pass over the business's rows (or one holder's)
 * on the index that starts with `business_id` (`identity_id, business_id` for a holder's), the
 * same rows the token list pages through; no column but the index's and the row's dates is
 * read. Each count is a CASE, not a FILTER, so one text serves SQLite and PostgreSQL.
 */
@Injectable()
export class TokenCountsRepository {
  async countInBusiness(
    businessId: string,
    filters: { identityId?: string },
    at: CountsAt,
    from: ReadSource,
  ): Promise<TokenCounts> {
    assertBusinessId(businessId);
    const where = filters.identityId
      ? 'business_id = :businessId AND identity_id = :identityId'
      : 'business_id = :businessId';
    const [row] = await from.rows.all(
      `SELECT ${count(`${LIVE} AND disabled_at IS NULL`)}, ` +
        `${count(`${LIVE} AND expires_at <= :expiringBy AND ${NOT_SESSION}`)}, ` +
        `${count(`${LIVE} AND disabled_at IS NOT NULL`)}, ` +
        `${count(`${LIVE} AND ${RISKY_TOKEN_SQL}`)}, ` +
        `${count('revoked_at >= :revokedSince')}, ` +
        `${count(`${LIVE} AND ${SESSION}`)} ` +
        `FROM api_tokens WHERE ${where}`,
      {
        businessId,
        ...(filters.identityId ? { identityId: filters.identityId } : {}),
        now: at.now,
        expiringBy: at.expiringBy,
        revokedSince: at.revokedSince,
        staleBefore: at.staleBefore,
      },
    );
    const [active, expiringSoon, disabled, risky, revokedRecently, consoleSessions] = row.map((n) =>
      Number(n),
    );
    return { active, expiringSoon, disabled, risky, revokedRecently, consoleSessions };
  }

  /**
   * The active tokens that expire soonest, by `expiringBy`, first: what the home page lists under
   * its count. The same rows as the count read, sorted; at most `limit`.
   */
  listExpiring(
    businessId: string,
    filters: { identityId?: string },
    at: Pick<CountsAt, 'now' | 'expiringBy'>,
    limit: number,
    from: ReadSource,
  ): Promise<ApiToken[]> {
    assertBusinessId(businessId);
    const where = {
      businessId,
      ...(filters.identityId ? { identityId: filters.identityId } : {}),
      revokedAt: IsNull(),
      expiresAt: And(MoreThan(at.now), LessThanOrEqual(at.expiringBy)),
    };
    // A console session is not listed with the tokens about to lapse: it lasts hours by design.
    return from.find(ApiToken, {
      where: [
        { ...where, origin: IsNull() },
        { ...where, origin: Not(SESSION_ORIGIN) },
      ],
      order: { expiresAt: 'ASC', id: 'ASC' },
      take: limit,
    });
  }
}

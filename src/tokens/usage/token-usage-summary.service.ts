import { Injectable } from '@nestjs/common';
import { In, SelectQueryBuilder } from 'typeorm';
import type { RequestContext } from '../../auth/request-context';
import { assertBusinessId } from '../../common/tenant-scope';
import { ReadRouting } from '../../database/connection/read-routing';
import type { Reader } from '../../database/units/reader';
import { ApiToken } from '../store/entities/api-token.entity';
import { TokenViewDto } from '../dto/token-view.dto';
import {
  TokenUsageSummaryDto,
  TokenUsageSummaryQueryDto,
  UsageWindow,
} from '../dto/token-usage-summary.dto';
import { TokenAccess } from '../policy/token-access';
import { TokenUsageHour } from '../store/entities/token-usage.entity';

const HOUR_MS = 3_600_000;
const WINDOW_HOURS: Record<UsageWindow, number> = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 };
/** The busiest tokens an answer lists. */
export const USAGE_SUMMARY_ROWS = 100;

interface Sums {
  requests: unknown;
  ok: unknown;
  errors: unknown;
  console: unknown;
}

/**
 * Usage across a business's tokens, for the console's usage screen: requests, 2xx, 4xx and the
 * console's own per token over the last 24 hours, 7 or 30 days, and the totals. Busiest first is
 * by the requests that were not the console's: the token a person signs in to the console with
 * would otherwise lead the list after a few minutes of clicking. Seen as the token list
 * sees tokens: every token for a caller who manages all, else the caller's own.
 */
@Injectable()
export class TokenUsageSummaryService {
  constructor(
    private readonly access: TokenAccess,
    private readonly reads: ReadRouting,
  ) {}

  /** The summary, read where `ReadRouting` says: a replica that holds the caller's own changes. */
  summary(
    ctx: RequestContext,
    query: TokenUsageSummaryQueryDto,
    now = new Date(),
  ): Promise<TokenUsageSummaryDto> {
    return this.reads.read(ctx.actor.id, (source) => this.summaryFrom(ctx, query, now, source));
  }

  private async summaryFrom(
    ctx: RequestContext,
    query: TokenUsageSummaryQueryDto,
    now: Date,
    db: Reader,
  ): Promise<TokenUsageSummaryDto> {
    const window = query.window ?? '24h';
    const hourStart = now.getTime() - (now.getTime() % HOUR_MS);
    // The hour now is in, and the whole hours before it: 24 of them for 24 hours.
    const from = new Date(hourStart - (WINDOW_HOURS[window] - 1) * HOUR_MS);
    const own = this.access.managesAll(ctx) ? null : ctx.actor.id;
    const [rows, total] = await Promise.all([
      this.usage(ctx.businessId, own, from, db)
        .addSelect('u.tokenId', 'token_id')
        .groupBy('u.tokenId')
        .orderBy('SUM(u.requests) - SUM(u.consoleRequests)', 'DESC')
        .addOrderBy('SUM(u.requests)', 'DESC')
        .addOrderBy('u.tokenId', 'ASC')
        .limit(USAGE_SUMMARY_ROWS)
        .getRawMany<Sums & { token_id: string }>(),
      this.usage(ctx.businessId, own, from, db)
        .addSelect('COUNT(DISTINCT u.tokenId)', 'tokens')
        .getRawOne<Sums & { tokens: unknown }>(),
    ]);
    const tokens = rows.length
      ? await db.find(ApiToken, {
          where: { businessId: ctx.businessId, id: In(rows.map((r) => r.token_id)) },
        })
      : [];
    const byId = new Map(tokens.map((t) => [t.id, t]));
    return {
      window,
      from: from.toISOString(),
      to: now.toISOString(),
      totals: { ...counts(total), tokens_used: Number(total?.tokens ?? 0) },
      items: rows.flatMap((r) => {
        const token = byId.get(r.token_id);
        return token ? [{ token: TokenViewDto.of(token), ...counts(r) }] : [];
      }),
    };
  }

  /**
   * The sums of the business's usage hours since `from`, read through its tokens (the index on
   * api_tokens' business, then each token's hours by their key), `own` narrowing to one holder.
   */
  private usage(
    businessId: string,
    own: string | null,
    from: Date,
    db: Reader,
  ): SelectQueryBuilder<TokenUsageHour> {
    assertBusinessId(businessId);
    const q = db
      .createQueryBuilder(TokenUsageHour, 'u')
      .innerJoin(ApiToken, 't', 't.id = u.tokenId AND t.businessId = u.businessId')
      .select('SUM(u.requests)', 'requests')
      .addSelect('SUM(u.okCount)', 'ok')
      .addSelect('SUM(u.clientErrorCount)', 'errors')
      .addSelect('SUM(u.consoleRequests)', 'console')
      .where('t.businessId = :businessId', { businessId })
      .andWhere('u.businessId = :businessId')
      .andWhere('u.hour >= :from', { from });
    return own === null ? q : q.andWhere('t.identityId = :own', { own });
  }
}

function counts(row: Sums | undefined) {
  return {
    requests: Number(row?.requests ?? 0),
    ok_count: Number(row?.ok ?? 0),
    client_error_count: Number(row?.errors ?? 0),
    console_requests: Number(row?.console ?? 0),
  };
}

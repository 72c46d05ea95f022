import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../auth/request-context';
import { RequestValidationError } from '../../common/errors/domain-error';
import { Database, ReadRouting } from '../../database/connection/read-routing';
import { TokenUsageDto, TokenUsageHourDto, TokenUsageIpDto } from '../dto/token-usage.dto';
import type { TokenUsageQueryDto } from '../dto/token-usage.dto';
import { TokenAccess } from '../policy/token-access';
import { USAGE_IPS_KEPT } from './token-usage-recorder';
import { TokenUsageRepository } from '../store/repositories/token-usage.repository';

const HOUR_MS = 3_600_000;
const DEFAULT_WINDOW_MS = 24 * HOUR_MS;
/** The widest window one answer covers: the retention, 720 hours. */
export const USAGE_MAX_WINDOW_MS = 30 * 24 * HOUR_MS;

/** A token's usage, to whoever may read the token. */
@Injectable()
export class TokenUsageService {
  constructor(
    private readonly access: TokenAccess,
    private readonly usage: TokenUsageRepository,
    private readonly reads: ReadRouting,
    private readonly database: Database,
  ) {}

  /**
   * The token's hours in the window and its recent client addresses. Read as the token is (its
   * holder, or an owner or admin managing every token): a token the caller may not see is 404.
   */
  async usageOf(
    ctx: RequestContext,
    tokenId: string,
    query: TokenUsageQueryDto,
    now = new Date(),
  ): Promise<TokenUsageDto> {
    const { from, to } = windowOf(query, now);
    const token = await this.access.findVisible(ctx, tokenId, this.database.primary);
    // The hour that holds `from` overlaps the window, so it is listed too.
    const firstHour = new Date(from.getTime() - (from.getTime() % HOUR_MS));
    // Who may see the token is read on the primary, as everywhere; its counts may come from a replica.
    const [hours, ips] = await this.reads.read(ctx.actor.id, (source) =>
      Promise.all([
        this.usage.hoursOf(ctx.businessId, token.id, firstHour, to, source),
        this.usage.recentIpsOf(ctx.businessId, token.id, USAGE_IPS_KEPT, source),
      ]),
    );
    return {
      token_id: token.id,
      from: from.toISOString(),
      to: to.toISOString(),
      hours: hours.map((h) => TokenUsageHourDto.of(h)),
      recent_ips: ips.map((ip) => TokenUsageIpDto.of(ip)),
    };
  }
}

/** The window asked for, defaults filled in; 422 when it is empty or wider than 30 days. */
function windowOf(query: TokenUsageQueryDto, now: Date): { from: Date; to: Date } {
  const to = query.to ?? now;
  const from = query.from ?? new Date(to.getTime() - DEFAULT_WINDOW_MS);
  if (from.getTime() >= to.getTime()) {
    // Blame the field the caller gave: with `to` left out, it is `from` that lies in the future.
    const field = query.to ? 'to' : 'from';
    throw new RequestValidationError([
      {
        loc: ['query', field],
        msg: query.to ? 'to must be after from' : 'from must be before to (default: now)',
        type: 'value_error',
      },
    ]);
  }
  if (to.getTime() - from.getTime() > USAGE_MAX_WINDOW_MS) {
    throw new RequestValidationError([
      {
        loc: ['query', 'from'],
        msg: 'from must be at most 30 days before to',
        type: 'value_error',
      },
    ]);
  }
  return { from, to };
}

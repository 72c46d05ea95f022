import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../auth/request-context';
import { ReadRouting } from '../../database/connection/read-routing';
import { TokenSummaryDto } from '../dto/token-summary.dto';
import { TokenAccess } from '../policy/token-access';
import { staleBefore } from '../policy/token-risk';
import { TokenCountsRepository } from '../store/repositories/token-counts.repository';
import { TokenViewDto } from '../dto/token-view.dto';
import { UsesMeter } from '../usage/uses/uses-meter';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How far ahead an expiry, and how far back a revocation, is worth a look. */
export const ATTENTION_DAYS = 7;
/** The expiring tokens the summary lists by name. */
export const EXPIRING_LISTED = 5;

/**
 * The counts of the console's home page: seen as the token list sees tokens, every token of the
 * business for a caller who manages all, else the caller's own.
 */
@Injectable()
export class TokenSummaryService {
  constructor(
    private readonly access: TokenAccess,
    private readonly counts: TokenCountsRepository,
    private readonly reads: ReadRouting,
    private readonly uses: UsesMeter,
  ) {}

  summary(ctx: RequestContext, now = new Date()): Promise<TokenSummaryDto> {
    const all = this.access.managesAll(ctx);
    const at = {
      now,
      expiringBy: new Date(now.getTime() + ATTENTION_DAYS * DAY_MS),
      revokedSince: new Date(now.getTime() - ATTENTION_DAYS * DAY_MS),
      staleBefore: staleBefore(now),
    };
    return this.reads.read(ctx.actor.id, async (from) => {
      const filters = { identityId: all ? undefined : ctx.actor.id };
      const c = await this.counts.countInBusiness(ctx.businessId, filters, at, from);
      const expiring = c.expiringSoon
        ? await this.counts.listExpiring(ctx.businessId, filters, at, EXPIRING_LISTED, from)
        : [];
      return {
        counted: all ? 'business' : 'own',
        as_of: now.toISOString(),
        active: c.active,
        expiring_soon: c.expiringSoon,
        disabled: c.disabled,
        risky: c.risky,
        revoked_last_7_days: c.revokedRecently,
        console_sessions: c.consoleSessions,
        expiring_first: expiring.map((t) => TokenViewDto.of(t, now, this.uses.remainingOfRow(t))),
      };
    });
  }
}

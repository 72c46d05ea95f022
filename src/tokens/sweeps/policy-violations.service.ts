import { Injectable } from '@nestjs/common';
import { Database } from '../../database/connection/read-routing';
import type { RequestContext } from '../../auth/request-context';
import {
  createdKey,
  decodeCursor,
  encodeCursor,
  Page,
  PageQueryDto,
} from '../../common/validation/pagination';
import { type RequireDpop, tokenBreaches } from '../../governance/business-policy';
import { BusinessPolicyService } from '../../governance/business-policy.service';
import { PolicyViolationDto } from '../dto/policy-violation.dto';
import { GovernedTokensRepository } from '../store/repositories/governed-tokens.repository';
import { TokenAccess } from '../policy/token-access';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';

const DEFAULT_LIMIT = 50;
/** Rows read per query while looking for breaches. */
const BATCH = 200;
/**
 * The most rows one page reads: a business whose tokens mostly keep the policy answers a short
 * page with a `next_cursor` rather than reading every token in one request.
 */
const SCAN_MAX = 5000;

/** The active tokens that break their business's current policy: listed, never revoked. */
@Injectable()
export class PolicyViolationsService {
  constructor(
    private readonly policy: BusinessPolicyService,
    private readonly tokens: GovernedTokensRepository,
    private readonly access: TokenAccess,
    private readonly database: Database,
    private readonly tenancy: TenancyDirectory,
  ) {}

  /**
   * A page of breaking tokens, oldest first, as the token list sees them: every token for a
   * caller who manages all, else the caller's own. A page may hold fewer than `limit` with a
   * `next_cursor` when it read its most rows first.
   */
  list(ctx: RequestContext, query: PageQueryDto): Promise<Page<PolicyViolationDto>> {
    const identityId = this.access.managesAll(ctx) ? undefined : ctx.actor.id;
    return this.listIn(ctx.businessId, identityId, query);
  }

  /** `list` in a business: one identity's tokens, or every token (the operator, a manager). */
  async listIn(
    businessId: string,
    identityId: string | undefined,
    query: PageQueryDto,
  ): Promise<Page<PolicyViolationDto>> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    let after = decodeCursor(query.cursor);
    const rules = await this.policy.currentRules(businessId);
    const now = new Date();
    const items: PolicyViolationDto[] = [];
    for (let scanned = 0; scanned < SCAN_MAX; scanned += BATCH) {
      const rows = await this.tokens.activePage(
        businessId,
        identityId,
        now,
        BATCH,
        after,
        this.database.primary,
      );
      const page = rows.slice(0, BATCH);
      const machines = await this.machinesAmong(businessId, page, rules.requireDpop);
      for (const [i, row] of page.entries()) {
        after = createdKey(row);
        const machine = machines.has(row.identityId);
        const breaches = tokenBreaches(rules, { ...row, machine }, now);
        if (breaches.length > 0) items.push(PolicyViolationDto.breaking(row, breaches, now));
        if (items.length === limit) {
          const rest = i < page.length - 1 || rows.length > BATCH;
          return { items, next_cursor: rest ? encodeCursor(after) : null };
        }
      }
      if (rows.length <= BATCH) return { items, next_cursor: null };
    }
    return { items, next_cursor: after ? encodeCursor(after) : null };
  }

  /** The machine identities holding `rows`, read only when `require_dpop: machines` asks. */
  private async machinesAmong(
    businessId: string,
    rows: readonly { identityId: string; dpopJkt: string | null }[],
    rule: RequireDpop | null,
  ): Promise<Set<string>> {
    const unbound = rows.filter((r) => r.dpopJkt === null).map((r) => r.identityId);
    if (rule !== 'machines' || unbound.length === 0) return new Set();
    const members = await this.tenancy.membersOf(
      businessId,
      [...new Set(unbound)],
      this.database.primary,
    );
    return new Set([...members.values()].filter((m) => m.kind === 'machine').map((m) => m.id));
  }
}

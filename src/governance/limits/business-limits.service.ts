import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../auth/request-context';
import { RequestValidationError, type ValidationIssue } from '../../common/errors/domain-error';
import type { Author } from '../../database/units/domain-event';
import { holdKeyLock } from '../../database/units/key-lock';
import { Database } from '../../database/connection/read-routing';
import { Transaction, UnitOfWork } from '../../database/units/unit-of-work';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { GovernanceError } from '../governance-error';
import { BusinessLimit, BusinessLimitOverride } from '../store/business-limit.entity';
import { BusinessLimitsRepository } from '../store/business-limits.repository';
import {
  BusinessLimitsDto,
  BusinessLimitViewDto,
  LIMITS_PER_BUSINESS_MAX,
  PutBusinessLimitDto,
} from './dto/business-limits.dto';
import { BusinessLimitDeletedEvent, BusinessLimitSetEvent, LimitSnapshot } from './limits.events';

/** Changes to one business's limits, one at a time: the count of limits is checked under it. */
const limitsKey = (businessId: string) => `business-limits:${businessId}`;

/** A business's shared limits: read by owners and admins, set by owners, audited. */
@Injectable()
export class BusinessLimitsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly limits: BusinessLimitsRepository,
    private readonly tenancy: TenancyDirectory,
    private readonly database: Database,
  ) {}

  async list(ctx: RequestContext): Promise<BusinessLimitsDto> {
    const db = this.database.primary;
    const [rows, overrides] = await Promise.all([
      this.limits.limitsOf(ctx.businessId, db),
      this.limits.overridesOf(ctx.businessId, db),
    ]);
    return { items: rows.map((row) => viewOf(row, overrides)) };
  }

  /** Sets the named limit, new or replaced with its overrides, audited with before and after. */
  put(ctx: RequestContext, name: string, dto: PutBusinessLimitDto): Promise<BusinessLimitViewDto> {
    return this.set(ctx.author, ctx.businessId, name, dto);
  }

  /** `put`, by `author` in an existing business. */
  set(
    author: Author,
    businessId: string,
    name: string,
    dto: PutBusinessLimitDto,
  ): Promise<BusinessLimitViewDto> {
    const row: BusinessLimit = {
      businessId,
      name,
      window: dto.window,
      perBusiness: dto.per_business ?? null,
      perIdentity: dto.per_identity ?? null,
      updatedAt: new Date(),
      updatedBy: author.actor.label,
      updatedById: author.actor.id,
    };
    const overrides: BusinessLimitOverride[] = (dto.overrides ?? []).map((o) => ({
      businessId,
      name,
      identityId: o.identity_id.toLowerCase(),
      perIdentity: o.per_identity,
    }));
    refuseEmptyOrRepeated(row, overrides);
    return this.uow.run(async (tx) => {
      await holdKeyLock(limitsKey(businessId), 'exclusive', tx);
      await this.refuseStrangers(businessId, overrides, tx);
      const before = await this.limits.find(businessId, name, tx);
      if (
        !before &&
        (await this.limits.limitsOf(businessId, tx)).length >= LIMITS_PER_BUSINESS_MAX
      ) {
        throw new GovernanceError(
          'LIMIT_COUNT_REACHED',
          `A business holds at most ${LIMITS_PER_BUSINESS_MAX} shared limits: delete one first`,
        );
      }
      const beforeView = before && viewOf(before, await this.overridesOf(businessId, name, tx));
      await this.limits.save(row, overrides, before !== null, tx);
      const after = viewOf(row, overrides);
      await tx.publish(
        new BusinessLimitSetEvent(
          author,
          businessId,
          name,
          beforeView && snapshotOf(beforeView),
          snapshotOf(after),
        ),
      );
      return after;
    });
  }

  /** Deletes the named limit; 404 LIMIT_NOT_FOUND when the business has none of that name. */
  delete(ctx: RequestContext, name: string): Promise<BusinessLimitViewDto> {
    const { businessId } = ctx;
    return this.uow.run(async (tx) => {
      await holdKeyLock(limitsKey(businessId), 'exclusive', tx);
      const before = await this.limits.find(businessId, name, tx);
      if (!before) throw new GovernanceError('LIMIT_NOT_FOUND');
      const view = viewOf(before, await this.overridesOf(businessId, name, tx));
      await this.limits.delete(businessId, name, tx);
      await tx.publish(
        new BusinessLimitDeletedEvent(ctx.author, businessId, name, snapshotOf(view)),
      );
      return view;
    });
  }

  private async overridesOf(businessId: string, name: string, tx: Transaction) {
    return (await this.limits.overridesOf(businessId, tx)).filter((o) => o.name === name);
  }

  /** 422 for an override whose identity is no member or machine of this business. */
  private async refuseStrangers(
    businessId: string,
    overrides: BusinessLimitOverride[],
    tx: Transaction,
  ): Promise<void> {
    const issues: ValidationIssue[] = [];
    for (const [i, o] of overrides.entries()) {
      if (!(await this.tenancy.isMember(businessId, o.identityId, tx))) {
        issues.push({
          loc: ['body', 'overrides', i, 'identity_id'],
          msg: 'No member or machine identity of this business has this id',
          type: 'value_error',
        });
      }
    }
    if (issues.length > 0) throw new RequestValidationError(issues);
  }
}

/** 422 for a limit that caps nothing, or names an identity twice. */
function refuseEmptyOrRepeated(row: BusinessLimit, overrides: BusinessLimitOverride[]): void {
  const issues: ValidationIssue[] = [];
  if (row.perBusiness === null && row.perIdentity === null && overrides.length === 0) {
    issues.push({
      loc: ['body'],
      msg: 'Set per_business, per_identity or an override: a limit that caps nothing is no limit',
      type: 'value_error',
    });
  }
  const seen = new Set<string>();
  for (const [i, o] of overrides.entries()) {
    if (seen.has(o.identityId)) {
      issues.push({
        loc: ['body', 'overrides', i, 'identity_id'],
        msg: 'Each identity may have one override',
        type: 'value_error',
      });
    }
    seen.add(o.identityId);
  }
  if (issues.length > 0) throw new RequestValidationError(issues);
}

function viewOf(row: BusinessLimit, overrides: BusinessLimitOverride[]): BusinessLimitViewDto {
  return {
    name: row.name,
    window: row.window,
    per_business: row.perBusiness,
    per_identity: row.perIdentity,
    overrides: overrides
      .filter((o) => o.name === row.name)
      .map((o) => ({ identity_id: o.identityId, per_identity: o.perIdentity })),
    updated_at: row.updatedAt.toISOString(),
    updated_by: row.updatedBy,
  };
}

function snapshotOf(view: BusinessLimitViewDto): LimitSnapshot {
  return {
    window: view.window,
    per_business: view.per_business,
    per_identity: view.per_identity,
    overrides: view.overrides,
  };
}

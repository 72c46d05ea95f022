import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context';
import { canonicalCidr } from '../common/validation/cidr';
import type { Author } from '../database/units/domain-event';
import { holdKeyLock, type KeyLock, readUnderKeyLocks } from '../database/units/key-lock';
import { Database } from '../database/connection/read-routing';
import { Transaction, UnitOfWork } from '../database/units/unit-of-work';
import { approvalRuleOf, approvalSnapshotOf } from './approval-rule';
import { BusinessPolicyRules, NO_POLICY } from './business-policy';
import { BusinessTokenPolicy } from './store/business-policy.entity';
import { BusinessPolicyRepository } from './store/business-policy.repository';
import { BusinessPolicyViewDto, PutBusinessPolicyDto } from './dto/business-policy.dto';
import { PolicySnapshot, TokenPolicyUpdatedEvent } from './governance.events';

/**
 * The key issuance holds shared and a change of policy exclusive: a token is issued under the
 * policy in force when it commits, never under one replaced while it was being made.
 */
const policyKey = (businessId: string) => `token-policy:${businessId}`;

/**
 * The key a token issued for the business reads the policy under (`rulesFor`), as a unit
 * declares it when an event of its own comes before the issue: a policy change takes the key and
 * then the business's audit chain, so the key is held before the chain on every path.
 */
export const policyReadLock = (businessId: string): KeyLock => ({
  key: policyKey(businessId),
  mode: 'shared',
});

/** A business's token policy: read by any member, set by owners, asked by every issuer. */
@Injectable()
export class BusinessPolicyService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly policies: BusinessPolicyRepository,
    private readonly database: Database,
  ) {}

  read(ctx: RequestContext): Promise<BusinessPolicyViewDto> {
    return this.readIn(ctx.businessId);
  }

  /** The policy of a business, for whoever may read it (any member, the operator). */
  async readIn(businessId: string): Promise<BusinessPolicyViewDto> {
    return viewOf(await this.policies.find(businessId, this.database.primary));
  }

  /** Replaces the business's policy, audited with before and after. */
  put(ctx: RequestContext, dto: PutBusinessPolicyDto): Promise<BusinessPolicyViewDto> {
    return this.replace(ctx.author, ctx.businessId, dto);
  }

  /** `put`, by `author` (an owner's request, or the operator at a shell) in an existing business. */
  replace(
    author: Author,
    businessId: string,
    dto: PutBusinessPolicyDto,
  ): Promise<BusinessPolicyViewDto> {
    const cidrs = dto.required_cidrs ?? null;
    const row: BusinessTokenPolicy = {
      businessId,
      maxLifetimeDays: dto.max_lifetime_days ?? null,
      requireExpiry: dto.require_expiry ?? false,
      allowedScopes: dto.allowed_scopes ?? null,
      // One spelling per network, as a token's own allowed_cidrs are kept.
      requiredCidrs: cidrs && [...new Set(cidrs.map((c) => canonicalCidr(c) ?? c))],
      inactivityRevokeDays: dto.inactivity_revoke_days ?? null,
      requireDpop: dto.require_dpop ?? null,
      approvalRequired: approvalSnapshotOf(approvalRuleOf(dto.approval_required ?? null)),
      updatedAt: new Date(),
      updatedBy: author.actor.label,
      updatedById: author.actor.id,
    };
    return this.uow.run(async (tx) => {
      await holdKeyLock(policyKey(businessId), 'exclusive', tx);
      const before = await this.policies.find(businessId, tx);
      await this.policies.save(row, before !== null, tx);
      await tx.publish(
        new TokenPolicyUpdatedEvent(
          author,
          businessId,
          before && snapshotOf(rulesOf(before)),
          snapshotOf(rulesOf(row)),
        ),
      );
      return viewOf(row);
    });
  }

  /** The rules a token issued in this transaction must keep; none for a business without. */
  async rulesFor(businessId: string, tx: Transaction): Promise<BusinessPolicyRules> {
    return rulesOf(
      await readUnderKeyLocks(
        [policyKey(businessId)],
        'shared',
        () => this.policies.find(businessId, tx),
        tx,
      ),
    );
  }

  /** The rules in force now, outside any transaction (the violations list). */
  async currentRules(businessId: string): Promise<BusinessPolicyRules> {
    return rulesOf(await this.policies.find(businessId, this.database.primary));
  }

  /** Every business whose policy revokes unused tokens, with its rules. */
  async revokingInactiveAnyBusiness(): Promise<{ businessId: string; days: number }[]> {
    const rows = await this.policies.findRevokingInactiveAnyBusiness(this.database.primary);
    return rows.map((r) => ({ businessId: r.businessId, days: r.inactivityRevokeDays! }));
  }
}

function rulesOf(row: BusinessTokenPolicy | null): BusinessPolicyRules {
  if (row === null) return NO_POLICY;
  return {
    maxLifetimeDays: row.maxLifetimeDays,
    requireExpiry: row.requireExpiry,
    allowedScopes: row.allowedScopes,
    requiredCidrs: row.requiredCidrs,
    inactivityRevokeDays: row.inactivityRevokeDays,
    requireDpop: row.requireDpop,
    approvalRequired: approvalRuleOf(row.approvalRequired),
  };
}

function snapshotOf(rules: BusinessPolicyRules): PolicySnapshot {
  return {
    max_lifetime_days: rules.maxLifetimeDays,
    require_expiry: rules.requireExpiry,
    allowed_scopes: rules.allowedScopes && [...rules.allowedScopes],
    required_cidrs: rules.requiredCidrs && [...rules.requiredCidrs],
    inactivity_revoke_days: rules.inactivityRevokeDays,
    require_dpop: rules.requireDpop,
    approval_required: approvalSnapshotOf(rules.approvalRequired),
  };
}

function viewOf(row: BusinessTokenPolicy | null): BusinessPolicyViewDto {
  return {
    ...snapshotOf(rulesOf(row)),
    updated_at: row?.updatedAt.toISOString() ?? null,
    updated_by: row?.updatedBy ?? null,
  };
}

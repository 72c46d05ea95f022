import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RequestContext } from '../auth/request-context';
import { roleAtLeast } from '../auth/roles';
import type { Page } from '../common/validation/pagination';
import { Database } from '../database/connection/read-routing';
import { UnitOfWork } from '../database/units/unit-of-work';
import type { Role } from '../auth/roles';
import { GroupRoleViewDto, SetGroupRoleDto } from './dto/sso.dto';
import { SsoError } from './sso-error';
import { SsoGroupRoleRemovedEvent, SsoGroupRoleSetEvent } from './sso.events';
import { SsoGroupRole } from './store/sso-group-role.entity';
import { SsoGroupRolesRepository } from './store/sso-group-roles.repository';

/** The most group rules a business holds. */
const MAX_RULES = 100;
/** The most groups a sign-in's audit entry names. */
const MAX_NAMED_GROUPS = 10;

/** Where a sign-in's groups lead: the business, the role, and the groups that gave it. */
export interface GrantedRole {
  businessId: string;
  role: Role;
  groups: string[];
}

/**
 * Each business's map from the provider's groups to its roles, which its owners edit. A person
 * whose groups name no rule of a business gets nothing there; several rules give the highest.
 */
@Injectable()
export class SsoGroupRolesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly database: Database,
    private readonly rules: SsoGroupRolesRepository,
  ) {}

  /** Every rule, by group (at most 100: one page). */
  async list(ctx: RequestContext): Promise<Page<GroupRoleViewDto>> {
    const rows = await this.rules.list(ctx.businessId, this.database.primary);
    return { items: rows.map((r) => GroupRoleViewDto.of(r)), next_cursor: null };
  }

  /** Makes the rule for `dto.group`, or changes its role. At most 100 per business. */
  set(ctx: RequestContext, dto: SetGroupRoleDto): Promise<GroupRoleViewDto> {
    return this.uow.run(async (tx) => {
      await this.rules.lockForChange(ctx.businessId, tx);
      const found = await this.rules.findByGroup(ctx.businessId, dto.group, tx);
      if (found) {
        if (found.role === dto.role) return GroupRoleViewDto.of(found);
        await this.rules.setRole(ctx.businessId, found.id, { role: dto.role }, tx);
        const rule = { ...found, role: dto.role };
        await tx.publish(new SsoGroupRoleSetEvent(ctx.author, refOf(rule), found.role));
        return GroupRoleViewDto.of(rule);
      }
      if ((await this.rules.count(ctx.businessId, tx)) >= MAX_RULES) {
        throw new SsoError('SSO_GROUP_ROLE_LIMIT_REACHED');
      }
      const rule = Object.assign(new SsoGroupRole(), {
        id: randomUUID(),
        businessId: ctx.businessId,
        groupName: dto.group,
        role: dto.role,
        createdAt: new Date(),
        createdBy: ctx.actor.label,
      } satisfies SsoGroupRole);
      await this.rules.insert(rule, tx);
      await tx.publish(new SsoGroupRoleSetEvent(ctx.author, refOf(rule), null));
      return GroupRoleViewDto.of(rule);
    });
  }

  remove(ctx: RequestContext, id: string): Promise<GroupRoleViewDto> {
    return this.uow.run(async (tx) => {
      await this.rules.lockForChange(ctx.businessId, tx);
      const found = await this.rules.find(ctx.businessId, id, tx);
      if (!found) throw new SsoError('SSO_GROUP_ROLE_NOT_FOUND');
      await this.rules.delete(ctx.businessId, id, tx);
      await tx.publish(new SsoGroupRoleRemovedEvent(ctx.author, refOf(found)));
      return GroupRoleViewDto.of(found);
    });
  }

  /** The role `groups` give in `businessId`, and the groups that give it; none: SSO_NO_ROLE. */
  async roleFor(businessId: string, groups: string[]): Promise<GrantedRole> {
    const matched = await this.rules.matching(businessId, groups, this.database.primary);
    if (matched.length === 0) throw new SsoError('SSO_NO_ROLE');
    return grantOf(businessId, matched);
  }

  /**
   * Each business whose rules name one of `groups`, with the role they give there: where a
   * sign-in that named no business may go, and nowhere else.
   */
  async reachable(groups: string[]): Promise<GrantedRole[]> {
    const matched = await this.rules.matchingAnyBusiness(groups, this.database.primary);
    const byBusiness = new Map<string, SsoGroupRole[]>();
    for (const rule of matched) {
      byBusiness.set(rule.businessId, [...(byBusiness.get(rule.businessId) ?? []), rule]);
    }
    return [...byBusiness].map(([businessId, rules]) => grantOf(businessId, rules));
  }
}

/** The highest role of a business's matching rules, and the groups that give it. */
function grantOf(businessId: string, matched: SsoGroupRole[]): GrantedRole {
  const role = matched.map((r) => r.role).reduce((a, b) => (roleAtLeast(a, b) ? a : b));
  const giving = matched.filter((r) => r.role === role).map((r) => r.groupName);
  return { businessId, role, groups: giving.sort().slice(0, MAX_NAMED_GROUPS) };
}

function refOf(rule: SsoGroupRole) {
  return { id: rule.id, businessId: rule.businessId, group: rule.groupName, role: rule.role };
}

import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RequestContext } from '../auth/request-context';
import { roleAtLeast } from '../auth/roles';
import type { Page } from '../common/validation/pagination';
import { Database } from '../database/connection/read-routing';
import { UnitOfWork } from '../database/units/unit-of-work';
import type { Role } from '../tenancy/store/membership.entity';
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

  /**
   * The role `groups` give in `businessId`, or, with no business asked, in the one business whose
   * rules name them (several: SSO_CHOOSE_BUSINESS, as the person must say which).
   */
  async roleFor(businessId: string | null, groups: string[]): Promise<GrantedRole> {
    const db = this.database.primary;
    const matched = businessId
      ? await this.rules.matching(businessId, groups, db)
      : await this.rules.matchingAnyBusiness(groups, db);
    const businesses = new Set(matched.map((r) => r.businessId));
    if (businesses.size === 0) throw new SsoError('SSO_NO_ROLE');
    if (businesses.size > 1) throw new SsoError('SSO_CHOOSE_BUSINESS');
    const role = matched.map((r) => r.role).reduce((a, b) => (roleAtLeast(a, b) ? a : b));
    const giving = matched.filter((r) => r.role === role).map((r) => r.groupName);
    return {
      businessId: matched[0].businessId,
      role,
      groups: giving.sort().slice(0, MAX_NAMED_GROUPS),
    };
  }
}

function refOf(rule: SsoGroupRole) {
  return { id: rule.id, businessId: rule.businessId, group: rule.groupName, role: rule.role };
}

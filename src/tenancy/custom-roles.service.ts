import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuthError } from '../auth/auth-error';
import { RequestContext } from '../auth/request-context';
import { roleAllowsScope, scopesWithin } from '../auth/scopes';
import type { Page } from '../common/validation/pagination';
import { Database } from '../database/connection/read-routing';
import { Transaction, UnitOfWork } from '../database/units/unit-of-work';
import {
  CustomRoleDeletedEvent,
  CustomRoleRef,
  CustomRoleSavedEvent,
  MemberCustomRoleChangedEvent,
} from './custom-roles.events';
import { CreateCustomRoleDto, CustomRoleViewDto, UpdateCustomRoleDto } from './dto/custom-role.dto';
import { identityRef } from './identities.service';
import { BusinessesRepository } from './store/businesses.repository';
import { BaseRole, CustomRole } from './store/custom-role.entity';
import { CustomRolesRepository } from './store/custom-roles.repository';
import { IdentitiesRepository } from './store/identities.repository';
import { MembershipsRepository } from './store/memberships.repository';
import { MemberRoleChangedEvent } from './tenancy.events';
import { TenancyError } from './tenancy-error';

/** The most custom roles a business holds. */
const MAX_ROLES = 50;

const notFound = () => new TenancyError('CUSTOM_ROLE_NOT_FOUND');

/**
 * A business's own roles: a base role (admin or member) narrowed to a set of scopes, within what
 * the role's maker may grant. Who may act on whom follows the base role; every token a holder
 * uses in the business is bounded by the scopes, from the moment a role is given or narrowed
 * (the verifier's snapshot holds the narrowed scopes, and each change evicts it).
 */
@Injectable()
export class CustomRolesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly database: Database,
    private readonly roles: CustomRolesRepository,
    private readonly memberships: MembershipsRepository,
    private readonly identities: IdentitiesRepository,
    private readonly businesses: BusinessesRepository,
  ) {}

  async list(ctx: RequestContext): Promise<Page<CustomRoleViewDto>> {
    const rows = await this.roles.list(ctx.businessId, this.database.primary);
    return { items: rows.map((r) => CustomRoleViewDto.of(r)), next_cursor: null };
  }

  create(ctx: RequestContext, dto: CreateCustomRoleDto): Promise<CustomRoleViewDto> {
    assertMayShape(ctx, dto.base_role, dto.scopes);
    return this.uow.run(async (tx) => {
      await this.roles.lockForChange(ctx.businessId, tx);
      if ((await this.roles.count(ctx.businessId, tx)) >= MAX_ROLES) {
        throw new TenancyError('CUSTOM_ROLE_LIMIT_REACHED');
      }
      if (await this.roles.findByName(ctx.businessId, dto.name, tx)) {
        throw new TenancyError('CUSTOM_ROLE_EXISTS');
      }
      const now = new Date();
      const role = Object.assign(new CustomRole(), {
        id: randomUUID(),
        businessId: ctx.businessId,
        name: dto.name,
        baseRole: dto.base_role,
        scopes: [...dto.scopes],
        description: dto.description ?? null,
        createdAt: now,
        updatedAt: now,
        updatedBy: ctx.actor.label,
      } satisfies CustomRole);
      await this.roles.insert(role, tx);
      await tx.publish(new CustomRoleSavedEvent(ctx.author, refOf(role), null));
      return CustomRoleViewDto.of(role);
    });
  }

  /** Changes a role's scopes (or description): its holders' tokens are bounded by them at once. */
  update(ctx: RequestContext, id: string, dto: UpdateCustomRoleDto): Promise<CustomRoleViewDto> {
    return this.uow.run(async (tx) => {
      const found = await this.roles.find(ctx.businessId, id, tx);
      if (!found) throw notFound();
      const scopes = dto.scopes ?? found.scopes;
      assertMayShape(ctx, found.baseRole, found.scopes);
      assertMayShape(ctx, found.baseRole, scopes);
      const fields = {
        scopes: [...scopes],
        description: dto.description === undefined ? found.description : dto.description,
        updatedAt: new Date(),
        updatedBy: ctx.actor.label,
      };
      await this.roles.update(ctx.businessId, id, fields, tx);
      const role = Object.assign(new CustomRole(), found, fields);
      await tx.publish(new CustomRoleSavedEvent(ctx.author, refOf(role), refOf(found)));
      return CustomRoleViewDto.of(role);
    });
  }

  /** Deletes a role no member holds (its holders would silently widen to their base role). */
  remove(ctx: RequestContext, id: string): Promise<CustomRoleViewDto> {
    return this.uow.run(async (tx) => {
      await this.businesses.lockForMembershipChange(ctx.businessId, tx);
      const found = await this.roles.find(ctx.businessId, id, tx);
      if (!found) throw notFound();
      assertMayShape(ctx, found.baseRole, found.scopes);
      if ((await this.memberships.countHolding(ctx.businessId, id, tx)) > 0) {
        throw new TenancyError('CUSTOM_ROLE_IN_USE');
      }
      await this.roles.delete(ctx.businessId, id, tx);
      await tx.publish(new CustomRoleDeletedEvent(ctx.author, refOf(found)));
      return CustomRoleViewDto.of(found);
    });
  }

  /**
   * Gives a member (a person or a machine) a custom role, or takes it back (`customRoleId` null:
   * their base role alone). Their built-in role becomes the custom role's base: only an owner
   * touches an owner, and the last owner stays.
   */
  assign(ctx: RequestContext, identityId: string, customRoleId: string | null) {
    return this.uow.run(async (tx) => {
      await this.businesses.lockForMembershipChange(ctx.businessId, tx);
      const membership = await this.memberships.find(ctx.businessId, identityId, tx);
      const identity = membership
        ? await this.identities.findByIdAnyBusiness(identityId, tx)
        : null;
      if (!membership || !identity) throw new TenancyError('MEMBER_NOT_FOUND');
      const role = customRoleId ? await this.roles.find(ctx.businessId, customRoleId, tx) : null;
      if (customRoleId && !role) throw notFound();
      if (role) assertMayShape(ctx, role.baseRole, role.scopes);
      const to = role?.baseRole ?? membership.role;
      if (membership.role === 'owner') await this.mayDemoteOwner(ctx, tx);
      await this.memberships.setCustomRole(ctx.businessId, identityId, to, role?.id ?? null, tx);
      const member = identityRef(identity);
      if (to !== membership.role) {
        await tx.publish(
          new MemberRoleChangedEvent(ctx.author, ctx.businessId, member, membership.role, to),
        );
      }
      await tx.publish(
        new MemberCustomRoleChangedEvent(ctx.author, ctx.businessId, member, role && refOf(role)),
      );
      return { identity_id: identityId, role: to, custom_role_id: role?.id ?? null };
    });
  }

  private async mayDemoteOwner(ctx: RequestContext, tx: Transaction): Promise<void> {
    if (!ctx.hasRole('owner')) {
      throw AuthError.forbidden('INSUFFICIENT_ROLE', 'Only an owner may demote an owner');
    }
    if ((await this.memberships.countOwners(ctx.businessId, tx)) <= 1) {
      throw new TenancyError('LAST_OWNER');
    }
  }
}

/**
 * A role its maker may shape: its scopes within its base role, and within what the calling token
 * holds (already bounded by the caller's own custom role, if any). An admin makes admin- or
 * member-based roles, as they may give those roles.
 */
function assertMayShape(ctx: RequestContext, base: BaseRole, scopes: readonly string[]): void {
  const issues = scopes.flatMap((s, i) =>
    roleAllowsScope(base, s)
      ? []
      : [
          {
            loc: ['body', 'scopes', i],
            msg: `a ${base} could never use ${s}`,
            type: 'value_error',
          },
        ],
  );
  if (issues.length > 0) {
    const error = new TenancyError('SCOPE_BEYOND_BASE_ROLE');
    error.issues = issues;
    throw error;
  }
  if (!ctx.hasRole(base) || !scopesWithin(scopes, ctx.token.scopes)) {
    throw new TenancyError('ROLE_ESCALATION');
  }
}

function refOf(role: CustomRole): CustomRoleRef {
  return {
    id: role.id,
    businessId: role.businessId,
    name: role.name,
    baseRole: role.baseRole,
    scopes: [...role.scopes],
  };
}

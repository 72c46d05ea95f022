import { Injectable } from '@nestjs/common';
import { AuthError } from '../auth/auth-error';
import { RequestContext } from '../auth/request-context';
import { Page, PageQueryDto, paginate } from '../common/validation/pagination';
import { Author } from '../database/units/domain-event';
import { Transaction, UnitOfWork } from '../database/units/unit-of-work';
import { BusinessesRepository } from './store/businesses.repository';
import { ChangeRoleDto, MemberViewDto } from './dto/tenancy.dto';
import { IdentitiesService, identityRef } from './identities.service';
import { Membership } from './store/membership.entity';
import { Role } from '../auth/roles';
import { MemberRow, memberKey, MembershipsRepository } from './store/memberships.repository';
import { MemberAddedEvent, MemberRoleChangedEvent } from './tenancy.events';
import { TenancyError } from './tenancy-error';
import { Database, ReadRouting } from '../database/connection/read-routing';

/** A member's 404. */
export const memberNotFound = () => new TenancyError('MEMBER_NOT_FOUND');

/** The people of a business. Machines have their own service. */
@Injectable()
export class MembersService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly businesses: BusinessesRepository,
    private readonly memberships: MembershipsRepository,
    private readonly identities: IdentitiesService,
    private readonly reads: ReadRouting,
    private readonly database: Database,
  ) {}

  list(ctx: RequestContext, query: PageQueryDto): Promise<Page<MemberViewDto>> {
    return this.reads.read(ctx.actor.id, (from) =>
      paginate(
        query,
        (limit, after) => this.memberships.list(ctx.businessId, 'user', limit, after, from),
        memberKey,
        (r) => MemberViewDto.of(r.identity, r.membership),
      ),
    );
  }

  /**
   * Inside `tx`: adds a person, created if new, at `role`. An existing person is added as they
   * are; a platform admin only `byPlatformAdmin`, or a business could collect a token that acts
   * as one. Publishes `MemberAddedEvent`.
   */
  async addInTx(
    author: Author,
    businessId: string,
    byPlatformAdmin: boolean,
    member: { email: string; role: Role },
    tx: Transaction,
  ): Promise<MemberRow> {
    const identity = await this.identities.findOrCreateUser(author, member.email, tx);
    if (identity.isPlatformAdmin && !byPlatformAdmin) {
      throw AuthError.forbidden(
        'PLATFORM_ADMIN_REQUIRED',
        'Only a platform admin may add a platform admin to a business',
      );
    }
    if (await this.memberships.find(businessId, identity.id, tx)) {
      throw new TenancyError('MEMBER_EXISTS');
    }
    const membership = Object.assign(new Membership(), {
      businessId,
      identityId: identity.id,
      role: member.role,
      createdAt: new Date(),
    } satisfies Membership);
    await this.memberships.insert(membership, tx);
    await tx.publish(new MemberAddedEvent(author, businessId, identityRef(identity), member.role));
    return { identity, membership };
  }

  /**
   * Inside `tx`: the person `email` at `role`, as a sign-in through the identity provider finds
   * them: added if they are not a member, or moved to `role` if the business's group rules now
   * give another (the last owner stays). Publishes what changed, as adding or changing a role
   * does.
   */
  async signInMemberInTx(
    author: Author,
    businessId: string,
    member: { email: string; role: Role },
    tx: Transaction,
  ): Promise<MemberRow> {
    await this.businesses.lockForMembershipChange(businessId, tx);
    const identity = await this.identities.findOrCreateUser(author, member.email, tx);
    const row = await this.memberships.findMember(businessId, identity.id, 'user', tx);
    if (!row) return this.addInTx(author, businessId, false, member, tx);
    const from = row.membership.role;
    if (from === member.role) return row;
    if (from === 'owner') await this.assertNotLastOwner(businessId, tx);
    await this.memberships.updateRole(businessId, identity.id, member.role, tx);
    await tx.publish(
      new MemberRoleChangedEvent(author, businessId, identityRef(identity), from, member.role),
    );
    return { identity, membership: { ...row.membership, role: member.role, customRoleId: null } };
  }

  /** Whether `businessId` names a business; the CLI's 404 before it adds anyone. */
  async assertBusinessExists(businessId: string): Promise<void> {
    if (!(await this.businesses.findById(businessId, this.database.primary))) {
      throw new TenancyError('BUSINESS_NOT_FOUND', `No business with id ${businessId}`);
    }
  }

  /** Changes a member's role. Only an owner touches owners, and the last owner stays. */
  changeRole(ctx: RequestContext, identityId: string, dto: ChangeRoleDto): Promise<MemberViewDto> {
    return this.uow.run(async (tx) => {
      const row = await this.lockAndFind(ctx, identityId, tx);
      const from = row.membership.role;
      if (from === dto.role) return MemberViewDto.of(row.identity, row.membership);
      this.assertMayGrant(ctx, from);
      this.assertMayGrant(ctx, dto.role);
      if (from === 'owner') await this.assertNotLastOwner(ctx.businessId, tx);
      await this.memberships.updateRole(ctx.businessId, identityId, dto.role, tx);
      await tx.publish(
        new MemberRoleChangedEvent(
          ctx.author,
          ctx.businessId,
          identityRef(row.identity),
          from,
          dto.role,
        ),
      );
      return MemberViewDto.of(row.identity, {
        ...row.membership,
        role: dto.role,
        customRoleId: null,
      });
    });
  }

  /**
   * Inside `tx`: ends a membership. Only an owner removes an owner, and the last owner stays.
   * The caller revokes the member's tokens and publishes `MemberRemovedEvent` with them.
   */
  async removeInTx(ctx: RequestContext, identityId: string, tx: Transaction): Promise<MemberRow> {
    const row = await this.lockAndFind(ctx, identityId, tx);
    this.assertMayGrant(ctx, row.membership.role);
    if (row.membership.role === 'owner') await this.assertNotLastOwner(ctx.businessId, tx);
    await this.memberships.delete(ctx.businessId, identityId, tx);
    return row;
  }

  private async lockAndFind(
    ctx: RequestContext,
    identityId: string,
    tx: Transaction,
  ): Promise<MemberRow> {
    await this.businesses.lockForMembershipChange(ctx.businessId, tx);
    const row = await this.memberships.findMember(ctx.businessId, identityId, 'user', tx);
    if (!row) throw memberNotFound();
    return row;
  }

  /** Only an owner may demote, promote to or remove an owner. */
  private assertMayGrant(ctx: RequestContext, role: Role): void {
    if (role === 'owner' && !ctx.hasRole('owner')) {
      throw AuthError.forbidden(
        'INSUFFICIENT_ROLE',
        'Only an owner may add, demote or remove an owner',
      );
    }
  }

  private async assertNotLastOwner(businessId: string, tx: Transaction): Promise<void> {
    if ((await this.memberships.countOwners(businessId, tx)) <= 1) {
      throw new TenancyError('LAST_OWNER');
    }
  }
}

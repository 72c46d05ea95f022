import { Injectable } from '@nestjs/common';
import { AuthError } from '../auth/auth-error';
import { RequestContext } from '../auth/request-context';
import { decide, enforce, PolicyCaller, targetClass } from '../auth/token-policy';
import { Page, PageQueryDto, paginate } from '../common/pagination';
import { Author } from '../database/domain-event';
import { Transaction, UnitOfWork } from '../database/unit-of-work';
import { IssuedTokenDto } from '../auth/token-view.dto';
import { TenancyTokens } from './tenancy-tokens';
import { BusinessesRepository } from './businesses.repository';
import {
  AddedMemberDto,
  AddMemberDto,
  ChangeRoleDto,
  MemberViewDto,
  ReissueFirstTokenDto,
} from './dto/tenancy.dto';
import { IdentitiesService, identityRef } from './identities.service';
import { Membership, Role, roleAtLeast } from './membership.entity';
import { MemberRow, memberKey, MembershipsRepository } from './memberships.repository';
import { MemberAddedEvent, MemberRemovedEvent, MemberRoleChangedEvent } from './tenancy.events';
import { TenancyError } from './tenancy-error';

/** The people of a business. Machines have their own service. */
const memberNotFound = () => new TenancyError('MEMBER_NOT_FOUND', 'Member not found');

@Injectable()
export class MembersService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly businesses: BusinessesRepository,
    private readonly memberships: MembershipsRepository,
    private readonly identities: IdentitiesService,
    private readonly tokens: TenancyTokens,
  ) {}

  list(ctx: RequestContext, query: PageQueryDto): Promise<Page<MemberViewDto>> {
    return paginate(
      query,
      (limit, after) => this.memberships.list(ctx.businessId, 'user', limit, after),
      memberKey,
      (r) => MemberViewDto.of(r.identity, r.membership),
    );
  }

  /**
   * Adds a person, created if new, and returns their first token, shown once, to pass on. An
   * existing person is added as they are: the first token acts as them in this business only,
   * and its audit trail names the token and the one who made it.
   */
  add(ctx: RequestContext, dto: AddMemberDto): Promise<AddedMemberDto> {
    return this.addTo(ctx.policyCaller, ctx.author, ctx.businessId, ctx.actor.isPlatformAdmin, dto);
  }

  /**
   * For the CLI: the operator adds a member to a business named by id (an unknown one is 404),
   * as a platform admin may, under the token policy's row for `caller`.
   */
  async addAsOperator(
    caller: PolicyCaller,
    author: Author,
    businessId: string,
    dto: AddMemberDto,
  ): Promise<AddedMemberDto> {
    if (!(await this.businesses.findById(businessId))) {
      throw new TenancyError('BUSINESS_NOT_FOUND', `No business with id ${businessId}`);
    }
    return this.addTo(caller, author, businessId, true, dto);
  }

  private addTo(
    caller: PolicyCaller,
    author: Author,
    businessId: string,
    byPlatformAdmin: boolean,
    dto: AddMemberDto,
  ): Promise<AddedMemberDto> {
    enforce(decide('add_member', caller, dto.role), memberNotFound);
    return this.uow.run(async (tx) => {
      const identity = await this.identities.findOrCreateUser(tx, author, dto.email);
      // A platform admin's identity speaks for the whole installation: only a platform admin
      // may place it in a business, or a business could collect a token that acts as one.
      if (identity.isPlatformAdmin && !byPlatformAdmin) {
        throw AuthError.forbidden(
          'PLATFORM_ADMIN_REQUIRED',
          'Only a platform admin may add a platform admin to a business',
        );
      }
      if (await this.memberships.find(businessId, identity.id, tx.manager)) {
        throw new TenancyError('MEMBER_EXISTS', 'This person is already a member of the business');
      }
      const membership = Object.assign(new Membership(), {
        businessId,
        identityId: identity.id,
        role: dto.role,
        createdAt: new Date(),
      } satisfies Membership);
      await this.memberships.insert(tx.manager, membership);
      await tx.publish(new MemberAddedEvent(author, businessId, identityRef(identity), dto.role));
      return {
        member: MemberViewDto.of(identity, membership),
        first_token: await this.tokens.issueFirstToken(
          tx,
          author,
          caller,
          { businessId, identityId: identity.id, isAdmin: dto.role !== 'member' },
          dto.expires_in_days,
        ),
      };
    });
  }

  /**
   * Re-issues a first token for a member who lost theirs: downward only (the token policy's
   * `reissue` row), shown once, to pass on. Earlier tokens stay as they are.
   */
  reissueFirstToken(
    ctx: RequestContext,
    identityId: string,
    dto: ReissueFirstTokenDto,
  ): Promise<IssuedTokenDto> {
    return this.uow.run(async (tx) => {
      // The issuance rule (see TokenAccess.holderTarget): under the membership's issuance lock.
      const rows = await this.memberships.findMembers(ctx.businessId, [identityId], tx.manager, {
        lock: true,
      });
      const row: MemberRow | undefined = rows[0];
      const holder = row
        ? { id: identityId, kind: row.identity.kind, role: row.membership.role }
        : null;
      enforce(ctx.may('reissue', targetClass(ctx.actor.id, holder)), memberNotFound);
      if (!row) throw memberNotFound(); // the policy answers 404 for an unknown id already
      return this.tokens.issueFirstToken(
        tx,
        ctx.author,
        ctx.policyCaller,
        {
          businessId: ctx.businessId,
          identityId,
          isAdmin: roleAtLeast(row.membership.role, 'admin'),
        },
        dto.expires_in_days,
      );
    });
  }

  /** Changes a member's role. Only an owner touches owners, and the last owner stays. */
  changeRole(ctx: RequestContext, identityId: string, dto: ChangeRoleDto): Promise<MemberViewDto> {
    return this.uow.run(async (tx) => {
      const row = await this.lockAndFind(tx, ctx, identityId);
      const from = row.membership.role;
      if (from === dto.role) return MemberViewDto.of(row.identity, row.membership);
      this.assertMayGrant(ctx, from);
      this.assertMayGrant(ctx, dto.role);
      if (from === 'owner') await this.assertNotLastOwner(tx, ctx.businessId);
      await this.memberships.updateRole(tx.manager, ctx.businessId, identityId, dto.role);
      await tx.publish(
        new MemberRoleChangedEvent(
          ctx.author,
          ctx.businessId,
          identityRef(row.identity),
          from,
          dto.role,
        ),
      );
      return MemberViewDto.of(row.identity, { ...row.membership, role: dto.role });
    });
  }

  /**
   * Removes a member and revokes every token they hold in this business. The removal commits
   * first, and locks the member out at once (a token speaks only while its holder is a member);
   * the tokens are then revoked in short batches, before this answers.
   */
  async remove(ctx: RequestContext, identityId: string): Promise<MemberViewDto> {
    const view = await this.uow.run(async (tx) => {
      const row = await this.lockAndFind(tx, ctx, identityId);
      this.assertMayGrant(ctx, row.membership.role);
      if (row.membership.role === 'owner') await this.assertNotLastOwner(tx, ctx.businessId);
      await this.memberships.delete(tx.manager, ctx.businessId, identityId);
      const revoked = await this.tokens.cascadeTargets(tx, ctx.businessId, identityId);
      await tx.publish(
        new MemberRemovedEvent(
          ctx.author,
          ctx.businessId,
          identityRef(row.identity),
          row.membership.role,
          revoked,
        ),
      );
      return MemberViewDto.of(row.identity, row.membership);
    });
    await this.tokens.finishCascade(
      ctx.author,
      ctx.businessId,
      identityId,
      'member removed from business',
    );
    return view;
  }

  private async lockAndFind(
    tx: Transaction,
    ctx: RequestContext,
    identityId: string,
  ): Promise<MemberRow> {
    await this.businesses.lockForMembershipChange(tx.manager, ctx.businessId);
    const row = await this.memberships.findMember(ctx.businessId, identityId, 'user', tx.manager);
    if (!row) throw new TenancyError('MEMBER_NOT_FOUND', 'Member not found');
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

  private async assertNotLastOwner(tx: Transaction, businessId: string): Promise<void> {
    if ((await this.memberships.countOwners(tx.manager, businessId)) <= 1) {
      throw new TenancyError(
        'LAST_OWNER',
        'The last owner of a business cannot be removed or demoted',
      );
    }
  }
}

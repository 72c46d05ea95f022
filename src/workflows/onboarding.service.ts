import { Injectable } from '@nestjs/common';
import { holdDeclaredLocks } from '../database/units/key-lock';
import { locksToIssueIn } from '../tokens/lifecycle/issuance/issuance-locks';
import { RequestContext } from '../auth/request-context';
import { roleAtLeast } from '../auth/roles';
import { Outcome } from '../common/http/envelope';
import { Author } from '../database/units/domain-event';
import { UnitOfWork } from '../database/units/unit-of-work';
import { BusinessesService } from '../tenancy/businesses.service';
import { BusinessViewDto, MemberViewDto, PlatformAdminViewDto } from '../tenancy/dto/tenancy.dto';
import { memberNotFound, MembersService } from '../tenancy/members.service';
import { PlatformAdminsService } from '../tenancy/platform-admins.service';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import {
  CLI_CALLER,
  decide,
  enforce,
  mayAct,
  PolicyCaller,
  policyCallerOf,
  targetClass,
} from '../tokens/policy/policy-decision';
import { HandedTokenIssuance } from '../tokens/lifecycle/issuance/handed-token-issuance.service';
import { TokenRevocationService } from '../tokens/lifecycle/revocation/token-revocation.service';
import {
  AddedMemberDto,
  AddedPlatformAdminDto,
  AddMemberDto,
  AddPlatformAdminDto,
  CreateBusinessDto,
  CreatedBusinessDto,
  ReissueFirstTokenDto,
  ReissuedFirstTokenDto,
} from './dto/workflows.dto';

/**
 * Whoever comes in gets a first token: a business's owner, a new member, a member who lost
 * theirs, a platform admin. Each is one transaction, in which the standing and the token are
 * made together, under the token policy's named exceptions (`create_business`, `add_member`,
 * `reissue`, `add_platform_admin`). The token is shown once, to the caller, to pass on.
 */
@Injectable()
export class OnboardingService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly businesses: BusinessesService,
    private readonly members: MembersService,
    private readonly admins: PlatformAdminsService,
    private readonly directory: TenancyDirectory,
    private readonly issuance: HandedTokenIssuance,
    private readonly revocation: TokenRevocationService,
  ) {}

  /** A business with its owner; `maker` is a platform token or the CLI. */
  createBusiness(
    maker: PolicyCaller,
    author: Author,
    dto: CreateBusinessDto,
  ): Promise<CreatedBusinessDto> {
    enforce(decide('create_business', maker, 'owner'));
    return this.uow.run(async (tx) => {
      const { business, owner } = await this.businesses.createInTx(author, dto, tx);
      return {
        business: BusinessViewDto.of(business),
        owner: MemberViewDto.of(owner.identity, owner.membership),
        first_token: await this.issuance.issueFirstToken(
          author,
          maker,
          { businessId: business.id, identityId: owner.identity.id, isAdmin: true },
          dto,
          tx,
        ),
      };
    });
  }

  /**
   * A person, created if new, in the caller's business. An existing person is added as they are:
   * the first token acts as them in this business only, and its audit trail names the token and
   * the one who made it.
   */
  addMember(ctx: RequestContext, dto: AddMemberDto): Promise<AddedMemberDto> {
    return this.addTo(
      policyCallerOf(ctx),
      ctx.author,
      ctx.businessId,
      ctx.actor.isPlatformAdmin,
      dto,
    );
  }

  /** For the CLI: a member of a business named by id (an unknown one is 404). */
  async addMemberAsOperator(
    author: Author,
    businessId: string,
    dto: AddMemberDto,
  ): Promise<AddedMemberDto> {
    await this.members.assertBusinessExists(businessId);
    return this.addTo(CLI_CALLER, author, businessId, true, dto);
  }

  private addTo(
    maker: PolicyCaller,
    author: Author,
    businessId: string,
    byPlatformAdmin: boolean,
    dto: AddMemberDto,
  ): Promise<AddedMemberDto> {
    enforce(decide('add_member', maker, dto.role), memberNotFound);
    return this.uow.run(
      async (tx) => {
        const { identity, membership } = await this.members.addInTx(
          author,
          businessId,
          byPlatformAdmin,
          dto,
          tx,
        );
        return {
          member: MemberViewDto.of(identity, membership),
          first_token: await this.issuance.issueFirstToken(
            author,
            maker,
            { businessId, identityId: identity.id, isAdmin: dto.role !== 'member' },
            dto,
            tx,
          ),
        };
      },
      { locks: locksToIssueIn(businessId) },
    );
  }

  /**
   * A first token again, for a member who lost theirs: downward only (the policy's `reissue`
   * row). It replaces their old first token, revoked in the same transaction, so nobody holds
   * two; their other tokens stay as they are.
   */
  async reissueFirstToken(
    ctx: RequestContext,
    identityId: string,
    dto: ReissueFirstTokenDto,
  ): Promise<Outcome<ReissuedFirstTokenDto>> {
    const reissued = await this.uow.run(async (tx) => {
      // Under the membership's issuance lock, as every issuer (see TokenAccess.holderTarget).
      const members = await this.directory.membersUnderLock(ctx.businessId, [identityId], tx);
      const holder = members.get(identityId) ?? null;
      enforce(mayAct(ctx, 'reissue', targetClass(ctx.actor.id, holder)), memberNotFound);
      if (!holder) throw memberNotFound(); // the policy answers 404 for an unknown id already
      await holdDeclaredLocks(locksToIssueIn(ctx.businessId, identityId), tx);
      // Revoked first, so the cap on active tokens sees a replacement, not one more token.
      const replaced = await this.revocation.revokeFirstTokens(
        ctx.author,
        ctx.businessId,
        identityId,
        tx,
      );
      const issued = await this.issuance.issueFirstToken(
        ctx.author,
        policyCallerOf(ctx),
        {
          businessId: ctx.businessId,
          identityId,
          isAdmin: roleAtLeast(holder.role, 'admin'),
        },
        dto,
        tx,
      );
      return { ...issued, replaced_token_ids: replaced };
    });
    const n = reissued.replaced_token_ids.length;
    return new Outcome(
      reissued,
      null,
      n === 0
        ? 'First token issued; the member held no active first token'
        : `First token re-issued; the old one was revoked (${n} ${n === 1 ? 'token' : 'tokens'})`,
    );
  }

  /** A person made a platform admin, with a platform token whose scopes are at most `maker`'s. */
  addPlatformAdmin(
    maker: PolicyCaller,
    author: Author,
    dto: AddPlatformAdminDto,
  ): Promise<AddedPlatformAdminDto> {
    enforce(decide('add_platform_admin', maker, 'admin'));
    return this.uow.run(async (tx) => {
      const { admin } = await this.admins.grantInTx(author, dto.email, 'refuse', tx);
      const issued = await this.issuance.issuePlatformToken(
        author,
        maker,
        {
          identityId: admin.id,
          name: 'first-token',
          expiresInDays: dto.expires_in_days,
        },
        tx,
      );
      return { admin: PlatformAdminViewDto.of(admin), first_token: issued };
    });
  }

  /**
   * At first start: when the installation has no platform admin, makes one and returns its
   * platform token. Returns null when an admin exists already.
   */
  bootstrapIfEmpty(author: Author, email: string): Promise<string | null> {
    return this.uow.run(async (tx) => {
      if (await this.admins.anyInTx(tx)) return null;
      const { admin } = await this.admins.grantInTx(author, email, 'refuse', tx);
      const issued = await this.issuance.issuePlatformToken(
        author,
        CLI_CALLER,
        {
          identityId: admin.id,
          name: 'bootstrap',
        },
        tx,
      );
      return issued.token;
    });
  }

  /** For the CLI: a new platform token for `email`, made a platform admin first if need be. */
  issuePlatformToken(author: Author, email: string): Promise<string> {
    enforce(decide('add_platform_admin', CLI_CALLER, 'admin'));
    return this.uow.run(async (tx) => {
      const { admin } = await this.admins.grantInTx(author, email, 'keep', tx);
      const issued = await this.issuance.issuePlatformToken(
        author,
        CLI_CALLER,
        {
          identityId: admin.id,
          name: 'cli',
        },
        tx,
      );
      return issued.token;
    });
  }
}

import { Injectable } from '@nestjs/common';
import { RequestContext } from '../auth/request-context';
import { Author } from '../database/units/domain-event';
import { UnitOfWork } from '../database/units/unit-of-work';
import { MemberViewDto, PlatformAdminViewDto } from '../tenancy/dto/tenancy.dto';
import { identityRef } from '../tenancy/identities.service';
import { MachineIdentitiesService } from '../tenancy/machine-identities.service';
import { MembersService } from '../tenancy/members.service';
import { PlatformAdminsService } from '../tenancy/platform-admins.service';
import {
  IdentityDeletedEvent,
  MemberRemovedEvent,
  PlatformAdminRemovedEvent,
} from '../tenancy/tenancy.events';
import { BatchRevocationService } from '../tokens/lifecycle/revocation/batch-revocation.service';
import {
  RemovedMachineIdentityViewDto,
  RemovedMemberViewDto,
  RemovedPlatformAdminViewDto,
} from './dto/workflows.dto';

/**
 * Whoever leaves loses every token: a removed member, a deleted machine, a platform admin whose
 * rights are taken. The end of the standing commits first, with the ids of the tokens it ends in
 * its event, and locks them out at once (a token speaks only while its holder stands); the
 * tokens are then revoked in short batches, each with its audit events, before this answers.
 */
@Injectable()
export class OffboardingService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly members: MembersService,
    private readonly machines: MachineIdentitiesService,
    private readonly admins: PlatformAdminsService,
    private readonly revocation: BatchRevocationService,
  ) {}

  /**
   * Removes a member and revokes every token they hold in this business; answers how many it
   * revoked (a token someone else revoked meanwhile is theirs, not counted).
   */
  async removeMember(ctx: RequestContext, identityId: string): Promise<RemovedMemberViewDto> {
    const view = await this.uow.run(async (tx) => {
      const row = await this.members.removeInTx(ctx, identityId, tx);
      const revoked = await this.revocation.cascadeTargets(ctx.businessId, identityId, tx);
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
    const revoked = await this.revocation.finishCascade(
      ctx.author,
      ctx.businessId,
      identityId,
      'member removed from business',
    );
    return { ...view, revoked_tokens: revoked };
  }

  /** Deletes a machine identity and revokes every token it holds; answers how many it revoked. */
  async deleteMachine(
    ctx: RequestContext,
    identityId: string,
  ): Promise<RemovedMachineIdentityViewDto> {
    const view = await this.uow.run(async (tx) => {
      const { view, ref } = await this.machines.deleteInTx(ctx.businessId, identityId, tx);
      const revoked = await this.revocation.cascadeTargets(ctx.businessId, identityId, tx);
      await tx.publish(new IdentityDeletedEvent(ctx.author, ctx.businessId, ref, revoked));
      return view;
    });
    const revoked = await this.revocation.finishCascade(
      ctx.author,
      ctx.businessId,
      identityId,
      'machine identity deleted',
    );
    return { ...view, revoked_tokens: revoked };
  }

  /**
   * Takes platform admin rights and every platform token of that person, and answers how many it
   * revoked. The last admin stays.
   */
  async removePlatformAdmin(
    author: Author,
    identityId: string,
  ): Promise<RemovedPlatformAdminViewDto> {
    const view = await this.uow.run(async (tx) => {
      const identity = await this.admins.revokeInTx(identityId, tx);
      const revoked = await this.revocation.cascadeTargets(null, identity.id, tx);
      await tx.publish(new PlatformAdminRemovedEvent(author, identityRef(identity), revoked));
      return PlatformAdminViewDto.of(identity);
    });
    const revoked = await this.revocation.finishCascade(
      author,
      null,
      identityId,
      'platform admin removed',
    );
    return { ...view, revoked_tokens: revoked };
  }
}

import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RequestContext } from '../auth/request-context';
import { RequestValidationError } from '../common/domain-error';
import { Page, PageQueryDto, paginate } from '../common/pagination';
import { UnitOfWork } from '../database/unit-of-work';
import { TenancyTokens } from './tenancy-tokens';
import { CreateMachineIdentityDto, MachineIdentityViewDto } from './dto/tenancy.dto';
import { identityRef } from './identities.service';
import { Identity } from './identity.entity';
import { IdentitiesRepository } from './identities.repository';
import { Membership } from './membership.entity';
import { memberKey, MembershipsRepository } from './memberships.repository';
import { IdentityCreatedEvent, IdentityDeletedEvent, MemberAddedEvent } from './tenancy.events';
import { TenancyError } from './tenancy-error';

/** Machines (CI runners, services) that hold tokens of one business. */
@Injectable()
export class MachineIdentitiesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly identities: IdentitiesRepository,
    private readonly memberships: MembershipsRepository,
    private readonly tokens: TenancyTokens,
  ) {}

  list(ctx: RequestContext, query: PageQueryDto): Promise<Page<MachineIdentityViewDto>> {
    return paginate(
      query,
      (limit, after) => this.memberships.list(ctx.businessId, 'machine', limit, after),
      memberKey,
      (r) => MachineIdentityViewDto.of(r.identity, r.membership.role),
    );
  }

  create(ctx: RequestContext, dto: CreateMachineIdentityDto): Promise<MachineIdentityViewDto> {
    if (dto.role === 'owner') {
      throw new RequestValidationError([
        {
          loc: ['body', 'role'],
          msg: 'A machine identity may be an admin or a member, never an owner',
          type: 'enum',
          input: dto.role,
        },
      ]);
    }
    return this.uow.run(async (tx) => {
      if (await this.identities.findMachineByName(ctx.businessId, dto.name, tx.manager)) {
        throw new TenancyError(
          'IDENTITY_EXISTS',
          'A machine identity with this name already exists',
        );
      }
      const now = new Date();
      const identity = Object.assign(new Identity(), {
        id: randomUUID(),
        kind: 'machine',
        email: null,
        name: dto.name,
        businessId: ctx.businessId,
        isPlatformAdmin: false,
        createdAt: now,
        deletedAt: null,
      } satisfies Identity);
      await this.identities.insert(tx.manager, identity);
      await this.memberships.insert(
        tx.manager,
        Object.assign(new Membership(), {
          businessId: ctx.businessId,
          identityId: identity.id,
          role: dto.role,
          createdAt: now,
        } satisfies Membership),
      );
      const ref = identityRef(identity);
      await tx.publish(new IdentityCreatedEvent(ctx.author, ctx.businessId, ref));
      await tx.publish(new MemberAddedEvent(ctx.author, ctx.businessId, ref, dto.role));
      return MachineIdentityViewDto.of(identity, dto.role);
    });
  }

  /**
   * Deletes a machine identity and revokes every token it holds: the deletion commits first and
   * stops its tokens at once, then they are revoked in short batches, before this answers.
   */
  async delete(ctx: RequestContext, identityId: string): Promise<MachineIdentityViewDto> {
    const view = await this.uow.run(async (tx) => {
      const identity = await this.identities.findMachine(ctx.businessId, identityId, tx.manager);
      if (!identity) throw new TenancyError('IDENTITY_NOT_FOUND', 'Machine identity not found');
      const membership = await this.memberships.find(ctx.businessId, identityId, tx.manager);
      await this.identities.softDeleteMachine(tx.manager, ctx.businessId, identityId);
      await this.memberships.delete(tx.manager, ctx.businessId, identityId);
      const revoked = await this.tokens.cascadeTargets(tx, ctx.businessId, identityId);
      await tx.publish(
        new IdentityDeletedEvent(ctx.author, ctx.businessId, identityRef(identity), revoked),
      );
      return MachineIdentityViewDto.of(identity, membership?.role ?? null);
    });
    await this.tokens.finishCascade(
      ctx.author,
      ctx.businessId,
      identityId,
      'machine identity deleted',
    );
    return view;
  }
}

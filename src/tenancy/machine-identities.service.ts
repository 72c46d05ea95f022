import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RequestContext } from '../auth/request-context';
import { RequestValidationError } from '../common/errors/domain-error';
import { Page, PageQueryDto, paginate } from '../common/validation/pagination';
import { Transaction, UnitOfWork } from '../database/units/unit-of-work';
import { CreateMachineIdentityDto, MachineIdentityViewDto } from './dto/tenancy.dto';
import { identityRef } from './identities.service';
import { Identity } from './store/identity.entity';
import { IdentitiesRepository } from './store/identities.repository';
import { Membership } from './store/membership.entity';
import { memberKey, MembershipsRepository } from './store/memberships.repository';
import { IdentityCreatedEvent, IdentityRef, MemberAddedEvent } from './tenancy.events';
import { TenancyError } from './tenancy-error';
import { ReadRouting } from '../database/connection/read-routing';

/** Machines (CI runners, services) that hold tokens of one business. */
@Injectable()
export class MachineIdentitiesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly identities: IdentitiesRepository,
    private readonly memberships: MembershipsRepository,
    private readonly reads: ReadRouting,
  ) {}

  list(ctx: RequestContext, query: PageQueryDto): Promise<Page<MachineIdentityViewDto>> {
    return this.reads.read(ctx.actor.id, (from) =>
      paginate(
        query,
        (limit, after) => this.memberships.list(ctx.businessId, 'machine', limit, after, from),
        memberKey,
        (r) => MachineIdentityViewDto.of(r.identity, r.membership.role),
      ),
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
      if (await this.identities.findMachineByName(ctx.businessId, dto.name, tx)) {
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
      await this.identities.insert(identity, tx);
      await this.memberships.insert(
        Object.assign(new Membership(), {
          businessId: ctx.businessId,
          identityId: identity.id,
          role: dto.role,
          createdAt: now,
        } satisfies Membership),
        tx,
      );
      const ref = identityRef(identity);
      await tx.publish(new IdentityCreatedEvent(ctx.author, ctx.businessId, ref));
      await tx.publish(new MemberAddedEvent(ctx.author, ctx.businessId, ref, dto.role));
      return MachineIdentityViewDto.of(identity, dto.role);
    });
  }

  /**
   * Inside `tx`: deletes a machine identity and its membership. The caller revokes its tokens
   * and publishes `IdentityDeletedEvent` with them.
   */
  async deleteInTx(
    businessId: string,
    identityId: string,
    tx: Transaction,
  ): Promise<{ view: MachineIdentityViewDto; ref: IdentityRef }> {
    const identity = await this.identities.findMachine(businessId, identityId, tx);
    if (!identity) throw new TenancyError('IDENTITY_NOT_FOUND');
    const membership = await this.memberships.find(businessId, identityId, tx);
    await this.identities.softDeleteMachine(businessId, identityId, tx);
    await this.memberships.delete(businessId, identityId, tx);
    return {
      view: MachineIdentityViewDto.of(identity, membership?.role ?? null),
      ref: identityRef(identity),
    };
  }
}

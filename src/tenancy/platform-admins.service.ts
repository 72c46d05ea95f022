import { Injectable } from '@nestjs/common';
import { createdKey, Page, PageQueryDto, paginate } from '../common/validation/pagination';
import { Author } from '../database/units/domain-event';
import { Transaction } from '../database/units/unit-of-work';
import { PlatformAdminViewDto } from './dto/tenancy.dto';
import { IdentitiesService, identityRef } from './identities.service';
import { Identity } from './store/identity.entity';
import { IdentitiesRepository } from './store/identities.repository';
import { PlatformAdminAddedEvent } from './tenancy.events';
import { TenancyError } from './tenancy-error';
import { ReadRouting } from '../database/connection/read-routing';

/** The people who run the installation. */
@Injectable()
export class PlatformAdminsService {
  constructor(
    private readonly identities: IdentitiesRepository,
    private readonly users: IdentitiesService,
    private readonly reads: ReadRouting,
  ) {}

  /** The platform admins, for one of them (`readerId`), who sees their own changes in it. */
  list(readerId: string, query: PageQueryDto): Promise<Page<PlatformAdminViewDto>> {
    return this.reads.read(readerId, (from) =>
      paginate(
        query,
        (limit, after) => this.identities.listPlatformAdmins(limit, after, from),
        createdKey,
        PlatformAdminViewDto.of,
      ),
    );
  }

  /**
   * Inside `tx`: the person with this email (created if new), made a platform admin. Publishes
   * `PlatformAdminAddedEvent`. A person who is one already is 409, unless `existing: 'keep'`.
   */
  async grantInTx(
    author: Author,
    email: string,
    existing: 'refuse' | 'keep',
    tx: Transaction,
  ): Promise<{ admin: Identity; granted: boolean }> {
    // Read under its issuance key, before any event of this unit (the lock order): a person who
    // exists already. One made here is seen by no other transaction until this one commits.
    const known = await this.identities.findUserByEmail(email, tx);
    const identity = known
      ? ((await this.identities.findForIssue(known.id, tx)) ?? known)
      : await this.users.findOrCreateUser(author, email, tx);
    if (identity.isPlatformAdmin) {
      if (existing === 'keep') return { admin: identity, granted: false };
      throw new TenancyError('IDENTITY_EXISTS', 'This person is already a platform admin');
    }
    await this.identities.setPlatformAdmin(identity.id, true, tx);
    await tx.publish(new PlatformAdminAddedEvent(author, identityRef(identity)));
    return { admin: { ...identity, isPlatformAdmin: true }, granted: true };
  }

  /** Inside `tx`: whether the installation has a platform admin yet. */
  async anyInTx(tx: Transaction): Promise<boolean> {
    return (await this.identities.countPlatformAdmins(tx)) > 0;
  }

  /**
   * Inside `tx`: takes platform admin rights away; the last admin stays. The caller revokes the
   * person's platform tokens and publishes `PlatformAdminRemovedEvent` with them.
   */
  async revokeInTx(identityId: string, tx: Transaction): Promise<Identity> {
    await this.identities.lockPlatformAdmins(tx);
    const identity = await this.identities.findByIdAnyBusiness(identityId, tx);
    if (!identity?.isPlatformAdmin) throw new TenancyError('IDENTITY_NOT_FOUND');
    if ((await this.identities.countPlatformAdmins(tx)) <= 1) {
      throw new TenancyError('LAST_PLATFORM_ADMIN');
    }
    await this.identities.setPlatformAdmin(identity.id, false, tx);
    return identity;
  }
}

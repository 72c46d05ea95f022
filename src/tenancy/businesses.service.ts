import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Outcome } from '../common/http/envelope';
import { createdKey, Page, PageQueryDto, paginate } from '../common/validation/pagination';
import { Author } from '../database/units/domain-event';
import { Transaction, UnitOfWork } from '../database/units/unit-of-work';
import { Business } from './store/business.entity';
import { BusinessesRepository } from './store/businesses.repository';
import { BusinessViewDto } from './dto/tenancy.dto';
import { IdentitiesService, identityRef } from './identities.service';
import { Membership } from './store/membership.entity';
import { MemberRow, MembershipsRepository } from './store/memberships.repository';
import {
  BusinessCreatedEvent,
  BusinessResumedEvent,
  BusinessSuspendedEvent,
  MemberAddedEvent,
} from './tenancy.events';
import { TenancyError } from './tenancy-error';
import { ReadRouting } from '../database/connection/read-routing';

@Injectable()
export class BusinessesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly businesses: BusinessesRepository,
    private readonly memberships: MembershipsRepository,
    private readonly identities: IdentitiesService,
    private readonly reads: ReadRouting,
  ) {}

  /**
   * Inside `tx`: a new business with its owner (a person, created if new). Publishes
   * `BusinessCreatedEvent` and the owner's `MemberAddedEvent`.
   */
  async createInTx(
    author: Author,
    dto: { name: string; owner_email: string },
    tx: Transaction,
  ): Promise<{ business: Business; owner: MemberRow }> {
    const now = new Date();
    const business = Object.assign(new Business(), {
      id: randomUUID(),
      name: dto.name,
      status: 'active',
      createdAt: now,
    } satisfies Business);
    await this.businesses.insert(business, tx);
    const owner = await this.identities.findOrCreateUser(author, dto.owner_email, tx);
    await tx.publish(
      new BusinessCreatedEvent(
        author,
        { id: business.id, name: business.name },
        identityRef(owner),
      ),
    );
    const membership = Object.assign(new Membership(), {
      businessId: business.id,
      identityId: owner.id,
      role: 'owner',
      createdAt: now,
    } satisfies Membership);
    await this.memberships.insert(membership, tx);
    await tx.publish(new MemberAddedEvent(author, business.id, identityRef(owner), 'owner'));
    return { business, owner: { identity: owner, membership } };
  }

  /** Every business, for a platform admin (`readerId`), who sees their own changes in it. */
  list(readerId: string, query: PageQueryDto): Promise<Page<BusinessViewDto>> {
    return this.reads.read(readerId, (from) =>
      paginate(
        query,
        (limit, after) => this.businesses.listAnyBusiness(limit, after, from),
        createdKey,
        BusinessViewDto.of,
      ),
    );
  }

  /** Suspends a business: its tokens are refused until it is resumed. Idempotent. */
  suspend(author: Author, businessId: string): Promise<Outcome<BusinessViewDto>> {
    return this.setStatus(author, businessId, 'suspended');
  }

  /** Resumes a business: its tokens that were not revoked work again. Idempotent. */
  resume(author: Author, businessId: string): Promise<Outcome<BusinessViewDto>> {
    return this.setStatus(author, businessId, 'active');
  }

  private setStatus(
    author: Author,
    businessId: string,
    status: 'active' | 'suspended',
  ): Promise<Outcome<BusinessViewDto>> {
    return this.uow.run(async (tx) => {
      const business = await this.businesses.findById(businessId, tx);
      if (!business) throw new TenancyError('BUSINESS_NOT_FOUND');
      const changed = await this.businesses.setStatus(businessId, status, tx);
      const ref = { id: business.id, name: business.name };
      if (!changed) {
        const code = status === 'suspended' ? 'ALREADY_SUSPENDED' : 'ALREADY_ACTIVE';
        return new Outcome(BusinessViewDto.of(business), code, `Business is already ${status}`);
      }
      await tx.publish(
        status === 'suspended'
          ? new BusinessSuspendedEvent(author, ref)
          : new BusinessResumedEvent(author, ref),
      );
      return new Outcome(BusinessViewDto.of({ ...business, status }));
    });
  }
}

import { Injectable } from '@nestjs/common';
import { assertBusinessId } from '../../../common/tenant-scope';
import type { Keyset } from '../../../common/validation/pagination';
import { keysetPage } from '../../../database/keyset';
import type { Reader } from '../../../database/units/reader';
import type { Transaction } from '../../../database/units/unit-of-work';
import { ConsentRequest, type ConsentRequestStatus } from './consent-request.entity';

/** Requests for an approver's consent; every method takes the business first. */
@Injectable()
export class ConsentRequestsRepository {
  find(businessId: string, id: string, db: Reader): Promise<ConsentRequest | null> {
    assertBusinessId(businessId);
    return db.findOneBy(ConsentRequest, { businessId, id });
  }

  /** The person's pending request for the client and resource, if any. */
  findPending(
    businessId: string,
    identityId: string,
    clientId: string,
    resource: string,
    db: Reader,
  ): Promise<ConsentRequest | null> {
    assertBusinessId(businessId);
    return db.findOneBy(ConsentRequest, {
      businessId,
      identityId,
      clientId,
      resource,
      status: 'pending',
    });
  }

  countPending(businessId: string, identityId: string | null, db: Reader): Promise<number> {
    assertBusinessId(businessId);
    return db.countBy(ConsentRequest, {
      businessId,
      status: 'pending',
      ...(identityId === null ? {} : { identityId }),
    });
  }

  /** One keyset page, oldest first: the business's, or one person's (`identityId`). */
  list(
    businessId: string,
    filter: { identityId: string | null; status: ConsentRequestStatus | null },
    limit: number,
    after: Keyset | null,
    db: Reader,
  ): Promise<ConsentRequest[]> {
    assertBusinessId(businessId);
    const qb = db
      .createQueryBuilder(ConsentRequest, 'r')
      .where('r.business_id = :businessId', { businessId });
    if (filter.identityId !== null) {
      qb.andWhere('r.identity_id = :identityId', { identityId: filter.identityId });
    }
    if (filter.status !== null) qb.andWhere('r.status = :status', { status: filter.status });
    return keysetPage(qb, 'r.created_at', 'r.id', limit, after).getMany();
  }

  async insert(request: ConsentRequest, tx: Transaction): Promise<void> {
    assertBusinessId(request.businessId);
    await tx.insert(ConsentRequest, request);
  }

  async refresh(
    businessId: string,
    id: string,
    fields: Pick<ConsentRequest, 'scopes' | 'justification' | 'clientName'>,
    tx: Transaction,
  ): Promise<void> {
    assertBusinessId(businessId);
    await tx.update(ConsentRequest, { businessId, id, status: 'pending' }, fields);
  }

  /** Decides a pending request; answers whether this call did (the first decision wins). */
  async decide(
    businessId: string,
    id: string,
    fields: Pick<
      ConsentRequest,
      'status' | 'decidedAt' | 'decidedBy' | 'decidedById' | 'decisionReason'
    >,
    tx: Transaction,
  ): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx.update(ConsentRequest, { businessId, id, status: 'pending' }, fields);
    return (result.affected ?? 0) > 0;
  }
}

import { Injectable } from '@nestjs/common';
import { MoreThan } from 'typeorm';
import { assertBusinessId } from '../../common/tenant-scope';
import type { Keyset } from '../../common/validation/pagination';
import { keysetPage } from '../../database/keyset';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { TokenRequest, TokenRequestStatus } from './token-request.entity';

/** A business's token requests, read and written by business alone. */
@Injectable()
export class TokenRequestsRepository {
  find(businessId: string, id: string, db: Reader): Promise<TokenRequest | null> {
    assertBusinessId(businessId);
    return db.findOneBy(TokenRequest, { businessId, id });
  }

  /**
   * One keyset page, oldest first: every request of the business, or (`mine`) those the identity
   * filed or is the holder of; of one status when given.
   */
  list(
    businessId: string,
    filter: { mine: string | null; status: TokenRequestStatus | null },
    limit: number,
    after: Keyset | null,
    db: Reader,
  ): Promise<TokenRequest[]> {
    assertBusinessId(businessId);
    const qb = db
      .createQueryBuilder(TokenRequest, 'r')
      .where('r.business_id = :businessId', { businessId });
    if (filter.mine !== null) {
      qb.andWhere('(r.requested_by_id = :me OR r.identity_id = :me)', { me: filter.mine });
    }
    if (filter.status !== null) qb.andWhere('r.status = :status', { status: filter.status });
    return keysetPage(qb, 'r.created_at', 'r.id', limit, after).getMany();
  }

  countPending(businessId: string, identityId: string | null, db: Reader): Promise<number> {
    assertBusinessId(businessId);
    return db.countBy(TokenRequest, {
      businessId,
      status: 'pending',
      ...(identityId === null ? {} : { identityId }),
    });
  }

  async insert(request: TokenRequest, tx: Transaction): Promise<void> {
    assertBusinessId(request.businessId);
    await tx.insert(TokenRequest, request);
  }

  /**
   * Moves a request on from `from` to `to.status`, when it is still in `from` (and, for
   * `decidedAfter`, was decided after that instant): a conditional UPDATE, so of two callers at
   * once exactly one wins, with no row lock taken on SQLite. Answers whether this call won.
   */
  async advance(
    businessId: string,
    id: string,
    from: TokenRequestStatus,
    to: { status: TokenRequestStatus } & Partial<TokenRequest>,
    tx: Transaction,
    decidedAfter?: Date,
  ): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx.update(
      TokenRequest,
      {
        businessId,
        id,
        status: from,
        ...(decidedAfter === undefined ? {} : { decidedAt: MoreThan(decidedAfter) }),
      },
      to,
    );
    return (result.affected ?? 0) > 0;
  }

  /** Names the token a collected request made. */
  async setToken(businessId: string, id: string, tokenId: string, tx: Transaction) {
    assertBusinessId(businessId);
    await tx.update(TokenRequest, { businessId, id, status: 'collected' }, { tokenId });
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { assertBusinessId } from '../common/tenant-scope';
import { ApiToken } from './api-token.entity';

export interface Revocation {
  revokedAt: Date;
  revokedBy: string;
  revokedById: string | null;
  reason: string | null;
}

@Injectable()
export class TokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The verifier's lookup, across businesses by design: a hash names at most one token. */
  findByHashAnyBusiness(hash: string): Promise<ApiToken | null> {
    return this.dataSource.manager.findOneBy(ApiToken, { tokenHash: hash });
  }

  findById(businessId: string, id: string, em: EntityManager = this.dataSource.manager) {
    assertBusinessId(businessId);
    return em.findOneBy(ApiToken, { businessId, id });
  }

  /** A platform token (no business) by id: for its own holder and platform routes only. */
  findPlatformTokenById(id: string) {
    return this.dataSource.manager.findOneBy(ApiToken, { businessId: IsNull(), id });
  }

  async insert(em: EntityManager, token: ApiToken): Promise<void> {
    await em.insert(ApiToken, token);
  }

  /** Active (unrevoked) tokens of one identity in one business. */
  findUnrevokedOfIdentity(em: EntityManager, businessId: string, identityId: string) {
    assertBusinessId(businessId);
    return em.findBy(ApiToken, { businessId, identityId, revokedAt: IsNull() });
  }

  /** Unrevoked platform tokens (no business) of one identity. */
  findUnrevokedPlatformTokens(em: EntityManager, identityId: string) {
    return em.findBy(ApiToken, { businessId: IsNull(), identityId, revokedAt: IsNull() });
  }

  /**
   * Revokes a token unless it is revoked already. SQLite has no row locks, so "first revocation
   * wins" is this conditional UPDATE: the affected row count says whether we were first.
   */
  async revokeIfUnrevoked(
    em: EntityManager,
    token: ApiToken,
    revocation: Revocation,
  ): Promise<boolean> {
    const qb = em
      .createQueryBuilder()
      .update(ApiToken)
      .set({
        revokedAt: revocation.revokedAt,
        revokedBy: revocation.revokedBy,
        revokedById: revocation.revokedById,
        revocationReason: revocation.reason,
      })
      .where('id = :id AND revoked_at IS NULL', { id: token.id });
    if (token.businessId === null) qb.andWhere('business_id IS NULL');
    else qb.andWhere('business_id = :businessId', { businessId: token.businessId });
    const result = await qb.execute();
    return (result.affected ?? 0) > 0;
  }
}

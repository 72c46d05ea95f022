import { Injectable } from '@nestjs/common';
import { In, IsNull, LessThan } from 'typeorm';
import { assertBusinessId } from '../../../common/tenant-scope';
import type { Reader } from '../../../database/units/reader';
import type { Transaction } from '../../../database/units/unit-of-work';
import { Grant, type GrantEnd } from './grant.entity';
import { GrantToken } from './grant-token.entity';
import { RefreshToken } from './refresh-token.entity';

/** Grants and their refresh tokens; by business, but for the lookup by a refresh token's hash. */
@Injectable()
export class GrantsRepository {
  async insertGrant(grant: Grant, tx: Transaction): Promise<void> {
    assertBusinessId(grant.businessId);
    await tx.insert(Grant, grant);
  }

  findGrant(businessId: string, id: string, db: Reader): Promise<Grant | null> {
    assertBusinessId(businessId);
    return db.findOneBy(Grant, { businessId, id });
  }

  /** The grants a consent started that have not ended. */
  liveGrantsOf(businessId: string, consentId: string, db: Reader): Promise<Grant[]> {
    assertBusinessId(businessId);
    return db.findBy(Grant, { businessId, consentId, revokedAt: IsNull() });
  }

  /** Ends a grant; answers whether this call did (the first end wins, and names its reason). */
  async endGrant(
    businessId: string,
    id: string,
    reason: GrantEnd,
    at: Date,
    tx: Transaction,
  ): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx.update(
      Grant,
      { businessId, id, revokedAt: IsNull() },
      { revokedAt: at, revokedReason: reason },
    );
    return (result.affected ?? 0) > 0;
  }

  async insertRefresh(token: RefreshToken, tx: Transaction): Promise<void> {
    assertBusinessId(token.businessId);
    await tx.insert(RefreshToken, token);
  }

  /**
   * The refresh token a presented secret hashes to, in any business: the secret is all its
   * presenter holds (as a token's lookup by hash); the caller compares the business.
   */
  findRefreshByHashAnyBusiness(tokenHash: string, db: Reader): Promise<RefreshToken | null> {
    return db.findOneBy(RefreshToken, { tokenHash });
  }

  /** Marks a refresh token used, if it was not: of concurrent uses exactly one wins. */
  async useRefresh(businessId: string, id: string, at: Date, tx: Transaction): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx.update(
      RefreshToken,
      { businessId, id, usedAt: IsNull() },
      { usedAt: at },
    );
    return (result.affected ?? 0) > 0;
  }

  async insertGrantToken(row: GrantToken, tx: Transaction): Promise<void> {
    assertBusinessId(row.businessId);
    await tx.insert(GrantToken, row);
  }

  /** The access tokens issued along a grant's line, for its end to revoke. */
  async accessTokenIds(businessId: string, grantId: string, db: Reader): Promise<string[]> {
    assertBusinessId(businessId);
    const rows = await db.find(GrantToken, {
      select: { tokenId: true },
      where: { businessId, grantId },
    });
    return rows.map((r) => r.tokenId);
  }

  /**
   * The client each of `tokenIds` was issued to, for those a grant gave; in one business, or in
   * every business for the platform's read (`businessId` null).
   */
  async clientsOfTokens(
    businessId: string | null,
    tokenIds: readonly string[],
    db: Reader,
  ): Promise<Map<string, string>> {
    if (businessId !== null) assertBusinessId(businessId);
    const found = new Map<string, string>();
    for (let i = 0; i < tokenIds.length; i += 500) {
      const ids = tokenIds.slice(i, i + 500);
      const rows = await db.find(GrantToken, {
        select: { tokenId: true, clientId: true },
        where: businessId === null ? { tokenId: In(ids) } : { businessId, tokenId: In(ids) },
      });
      for (const r of rows) found.set(r.tokenId, r.clientId);
    }
    return found;
  }

  /**
   * The installation's sweep, in every business: deletes the refresh tokens that expired before
   * `now`, then the grants started before `startedBefore` that no refresh token is left to
   * continue (their access tokens expired long before). Answers how many rows it deleted.
   */
  async sweepAnyBusiness(now: Date, startedBefore: Date, tx: Transaction): Promise<number> {
    const refresh = await tx.delete(RefreshToken, { expiresAt: LessThan(now) });
    const grants = await tx.statement(
      'DELETE FROM oauth_grants WHERE created_at < ? AND NOT EXISTS ' +
        '(SELECT 1 FROM oauth_refresh_tokens r WHERE r.grant_id = oauth_grants.id)',
      [tx.time(startedBefore)],
    );
    return (refresh.affected ?? 0) + grants;
  }
}

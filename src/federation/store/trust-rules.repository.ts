import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import { keysetPage } from '../../database/keyset';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { TrustRule } from './trust-rule.entity';

/** Trust rules, always within one business, and the JWT ids the exchange has accepted. */
@Injectable()
export class TrustRulesRepository {
  /** One page of an identity's rules, oldest first. */
  list(
    businessId: string,
    identityId: string,
    limit: number,
    after: Keyset | null,
    db: Reader,
  ): Promise<TrustRule[]> {
    assertBusinessId(businessId);
    const qb = db
      .createQueryBuilder(TrustRule, 'r')
      .where('r.business_id = :businessId', { businessId })
      .andWhere('r.identity_id = :identityId', { identityId });
    return keysetPage(qb, 'r.created_at', 'r.id', limit, after).getMany();
  }

  countOfIdentity(businessId: string, identityId: string, db: Reader): Promise<number> {
    assertBusinessId(businessId);
    return db.countBy(TrustRule, { businessId, identityId });
  }

  find(businessId: string, identityId: string, id: string, db: Reader): Promise<TrustRule | null> {
    assertBusinessId(businessId);
    return db.findOneBy(TrustRule, { businessId, identityId, id });
  }

  /** The business's rules for one issuer: what a JWT from it may match. */
  findByIssuer(businessId: string, issuer: string, db: Reader): Promise<TrustRule[]> {
    assertBusinessId(businessId);
    return db.find(TrustRule, {
      where: { businessId, issuer },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  async insert(rule: TrustRule, tx: Transaction): Promise<void> {
    assertBusinessId(rule.businessId);
    await tx.insert(TrustRule, rule);
  }

  async delete(businessId: string, identityId: string, id: string, tx: Transaction) {
    assertBusinessId(businessId);
    await tx.delete(TrustRule, { businessId, identityId, id });
  }

  /** Deletes every rule of an identity, in the transaction that ends its membership. */
  async deleteOfIdentity(businessId: string, identityId: string, tx: Transaction): Promise<void> {
    assertBusinessId(businessId);
    await tx.delete(TrustRule, { businessId, identityId });
  }

  /**
   * Records a JWT as used until `expiresAt`: true for the one insert that wins, on any instance
   * (the primary key decides; a concurrent insert of the same key waits for the winner's commit
   * on PostgreSQL, and SQLite runs one unit of work at a time).
   */
  async claimJti(issuer: string, jti: string, expiresAt: Date, tx: Transaction): Promise<boolean> {
    const rows = await tx.statementRows(
      'INSERT INTO federation_jti_uses (key_hash, expires_at) VALUES (?, ?) ' +
        'ON CONFLICT DO NOTHING RETURNING key_hash',
      [jtiKey(issuer, jti), tx.time(expiresAt)],
    );
    return rows.length > 0;
  }

  /** Forgets JWT ids whose JWTs expired before `before`: they can no longer be presented. */
  async forgetJtisBefore(before: Date, tx: Transaction): Promise<void> {
    await tx.statement('DELETE FROM federation_jti_uses WHERE expires_at < ?', [tx.time(before)]);
  }
}

/** The key a used JWT is kept under: one spelling of (issuer, jti), of fixed size. */
export function jtiKey(issuer: string, jti: string): string {
  return createHash('sha256').update(`${issuer}\n${jti}`).digest('hex');
}

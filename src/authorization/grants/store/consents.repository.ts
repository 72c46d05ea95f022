import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { assertBusinessId } from '../../../common/tenant-scope';
import type { Keyset } from '../../../common/validation/pagination';
import { keysetPage } from '../../../database/keyset';
import { holdKeyLock } from '../../../database/units/key-lock';
import type { Reader } from '../../../database/units/reader';
import type { Transaction } from '../../../database/units/unit-of-work';
import { Consent } from './consent.entity';

/** People's consents; every method takes the business first. */
@Injectable()
export class ConsentsRepository {
  /**
   * A person's decisions for one client and resource run one at a time, so two tabs allowing at
   * once leave one standing consent, not two.
   */
  async lockForDecision(
    businessId: string,
    identityId: string,
    clientId: string,
    tx: Transaction,
  ): Promise<void> {
    assertBusinessId(businessId);
    await holdKeyLock(`consent:${businessId}:${identityId}:${clientId}`, 'exclusive', tx);
  }

  /** The person's standing consent to the client for the resource, if any. */
  findStanding(
    businessId: string,
    identityId: string,
    clientId: string,
    resource: string,
    db: Reader,
  ): Promise<Consent | null> {
    assertBusinessId(businessId);
    return db.findOneBy(Consent, {
      businessId,
      identityId,
      clientId,
      resource,
      withdrawnAt: IsNull(),
    });
  }

  find(businessId: string, id: string, db: Reader): Promise<Consent | null> {
    assertBusinessId(businessId);
    return db.findOneBy(Consent, { businessId, id });
  }

  /** One keyset page of the person's standing consents, oldest first. */
  listStanding(
    businessId: string,
    identityId: string,
    limit: number,
    after: Keyset | null,
    db: Reader,
  ): Promise<Consent[]> {
    assertBusinessId(businessId);
    const qb = db
      .createQueryBuilder(Consent, 'c')
      .where('c.business_id = :businessId', { businessId })
      .andWhere('c.identity_id = :identityId', { identityId })
      .andWhere('c.withdrawn_at IS NULL');
    return keysetPage(qb, 'c.created_at', 'c.id', limit, after).getMany();
  }

  async insert(consent: Consent, tx: Transaction): Promise<void> {
    assertBusinessId(consent.businessId);
    await tx.insert(Consent, consent);
  }

  async widen(
    businessId: string,
    id: string,
    fields: Partial<Pick<Consent, 'scopes' | 'approvedScopes' | 'clientName' | 'updatedAt'>>,
    tx: Transaction,
  ): Promise<void> {
    assertBusinessId(businessId);
    await tx.update(Consent, { businessId, id }, fields);
  }

  /** Withdraws a standing consent; answers whether this call did (of two withdrawals, one wins). */
  async withdraw(businessId: string, id: string, at: Date, tx: Transaction): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx.update(
      Consent,
      { businessId, id, withdrawnAt: IsNull() },
      { withdrawnAt: at },
    );
    return (result.affected ?? 0) > 0;
  }
}

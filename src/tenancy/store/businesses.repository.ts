import { Injectable } from '@nestjs/common';
import { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import { keysetPage } from '../../database/keyset';
import { Business, BusinessStatus } from './business.entity';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';

@Injectable()
export class BusinessesRepository {
  findById(businessId: string, db: Reader): Promise<Business | null> {
    assertBusinessId(businessId);
    return db.findRow(Business, { id: businessId });
  }

  /** Oldest first, keyset on (created_at, id). Reads across tenants: platform admins only. */
  listAnyBusiness(limit: number, after: Keyset | null, db: Reader): Promise<Business[]> {
    const qb = db.createQueryBuilder(Business, 'b');
    return keysetPage(qb, 'b.created_at', 'b.id', limit, after).getMany();
  }

  async insert(business: Business, tx: Transaction): Promise<void> {
    await tx.insert(Business, business);
  }

  async setStatus(businessId: string, status: BusinessStatus, tx: Transaction): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx
      .createQueryBuilder()
      .update(Business)
      .set({ status })
      .where('id = :id AND status <> :status', { id: businessId, status })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Serializes membership changes in one business, so two concurrent demotions cannot both see
   * a second owner. SQLite needs nothing: its units of work already run one at a time.
   */
  async lockForMembershipChange(businessId: string, tx: Transaction): Promise<void> {
    assertBusinessId(businessId);
    if (!tx.postgres) return;
    await tx
      .createQueryBuilder(Business, 'b')
      .select('b.id')
      .where('b.id = :id', { id: businessId })
      // Not FOR UPDATE: that would block the FOR KEY SHARE a token insert's foreign key takes,
      // and a token issuer holding a membership share lock would deadlock with a removal.
      .setLock('for_no_key_update')
      .getOne();
  }
}

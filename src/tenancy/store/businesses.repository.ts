import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import { keysetPage } from '../../database/keyset';
import { Business, BusinessStatus } from './business.entity';
import { Transaction, readerOf } from '../../database/units/unit-of-work';
import type { ReadSource } from '../../database/connection/read-routing';

@Injectable()
export class BusinessesRepository {
  constructor(private readonly dataSource: DataSource) {}

  findById(businessId: string, tx: Transaction | null): Promise<Business | null> {
    assertBusinessId(businessId);
    return readerOf(tx, this.dataSource).findOneBy(Business, { id: businessId });
  }

  /** Oldest first, keyset on (created_at, id). Reads across tenants: platform admins only. */
  listAnyBusiness(limit: number, after: Keyset | null, from: ReadSource): Promise<Business[]> {
    const qb = from.manager.createQueryBuilder(Business, 'b');
    return keysetPage(qb, 'b.created_at', 'b.id', limit, after).getMany();
  }

  async insert(tx: Transaction, business: Business): Promise<void> {
    await tx.manager.insert(Business, business);
  }

  async setStatus(tx: Transaction, businessId: string, status: BusinessStatus): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx.manager
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
  async lockForMembershipChange(tx: Transaction, businessId: string): Promise<void> {
    assertBusinessId(businessId);
    if (tx.manager.connection.options.type !== 'postgres') return;
    await tx.manager
      .createQueryBuilder(Business, 'b')
      .select('b.id')
      .where('b.id = :id', { id: businessId })
      // Not FOR UPDATE: that would block the FOR KEY SHARE a token insert's foreign key takes,
      // and a token issuer holding a membership share lock would deadlock with a removal.
      .setLock('for_no_key_update')
      .getOne();
  }
}

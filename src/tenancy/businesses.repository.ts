import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Keyset } from '../common/pagination';
import { assertBusinessId } from '../common/tenant-scope';
import { keysetPage } from '../database/keyset';
import { Business, BusinessStatus } from './business.entity';

@Injectable()
export class BusinessesRepository {
  constructor(private readonly dataSource: DataSource) {}

  findById(
    businessId: string,
    em: EntityManager = this.dataSource.manager,
  ): Promise<Business | null> {
    assertBusinessId(businessId);
    return em.findOneBy(Business, { id: businessId });
  }

  /** Oldest first, keyset on (created_at, id). Reads across tenants: platform admins only. */
  listAnyBusiness(limit: number, after: Keyset | null): Promise<Business[]> {
    const qb = this.dataSource.manager.createQueryBuilder(Business, 'b');
    return keysetPage(qb, 'b.created_at', 'b.id', limit, after).getMany();
  }

  async insert(em: EntityManager, business: Business): Promise<void> {
    await em.insert(Business, business);
  }

  async setStatus(em: EntityManager, businessId: string, status: BusinessStatus): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await em
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
  async lockForMembershipChange(em: EntityManager, businessId: string): Promise<void> {
    assertBusinessId(businessId);
    if (em.connection.options.type !== 'postgres') return;
    await em
      .createQueryBuilder(Business, 'b')
      .select('b.id')
      .where('b.id = :id', { id: businessId })
      // Not FOR UPDATE: that would block the FOR KEY SHARE a token insert's foreign key takes,
      // and a token issuer holding a membership share lock would deadlock with a removal.
      .setLock('for_no_key_update')
      .getOne();
  }
}

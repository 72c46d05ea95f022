import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { Keyset } from '../common/pagination';
import { assertBusinessId } from '../common/tenant-scope';
import { holdKeyLock, platformAdminKey } from '../database/key-lock';
import { keysetPage } from '../database/keyset';
import { Identity } from './identity.entity';

@Injectable()
export class IdentitiesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** By id across businesses: for the verifier and the platform routes only. */
  findByIdAnyBusiness(id: string, em: EntityManager = this.dataSource.manager) {
    return em.findOneBy(Identity, { id });
  }

  /**
   * The identity, share-locked on PostgreSQL until the transaction ends: a platform token is
   * issued only under this lock, so removing a platform admin (which updates the row) waits
   * for issuers, then revokes their tokens too.
   */
  async findForIssue(em: EntityManager, id: string): Promise<Identity | null> {
    await holdKeyLock(em, platformAdminKey(id), 'shared');
    return em.findOneBy(Identity, { id });
  }

  findUserByEmail(email: string, em: EntityManager = this.dataSource.manager) {
    return em.findOneBy(Identity, { kind: 'user', email });
  }

  findMachine(businessId: string, id: string, em: EntityManager = this.dataSource.manager) {
    assertBusinessId(businessId);
    return em.findOneBy(Identity, { kind: 'machine', businessId, id, deletedAt: IsNull() });
  }

  findMachineByName(businessId: string, name: string, em: EntityManager) {
    assertBusinessId(businessId);
    return em.findOneBy(Identity, { kind: 'machine', businessId, name, deletedAt: IsNull() });
  }

  listPlatformAdmins(limit: number, after: Keyset | null): Promise<Identity[]> {
    const qb = this.dataSource.manager
      .createQueryBuilder(Identity, 'i')
      .where('i.is_platform_admin = :yes', { yes: true });
    return keysetPage(qb, 'i.created_at', 'i.id', limit, after).getMany();
  }

  countPlatformAdmins(em: EntityManager = this.dataSource.manager): Promise<number> {
    return em.countBy(Identity, { isPlatformAdmin: true });
  }

  /**
   * Locks the platform admin rows, so two concurrent removals cannot both see a second admin.
   * SQLite needs nothing: its units of work already run one at a time.
   */
  async lockPlatformAdmins(em: EntityManager): Promise<void> {
    if (em.connection.options.type !== 'postgres') return;
    await em
      .createQueryBuilder(Identity, 'i')
      .select('i.id')
      .where('i.is_platform_admin = :yes', { yes: true })
      // Not FOR UPDATE, which would block every token insert's foreign key on these rows.
      .setLock('for_no_key_update')
      .getMany();
  }

  async insert(em: EntityManager, identity: Identity): Promise<void> {
    await em.insert(Identity, identity);
  }

  async softDeleteMachine(em: EntityManager, businessId: string, id: string): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await em
      .createQueryBuilder()
      .update(Identity)
      .set({ deletedAt: new Date() })
      .where("id = :id AND business_id = :businessId AND kind = 'machine' AND deleted_at IS NULL", {
        id,
        businessId,
      })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Grants or takes platform admin rights. Taking them first takes the platform-token issuance
   * lock exclusively (see `findForIssue`), so the caller's revocation that follows finds every
   * platform token, those issued a moment ago included.
   */
  async setPlatformAdmin(em: EntityManager, id: string, isPlatformAdmin: boolean): Promise<void> {
    if (!isPlatformAdmin) await holdKeyLock(em, platformAdminKey(id), 'exclusive');
    await em.update(Identity, { id }, { isPlatformAdmin });
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull } from 'typeorm';
import { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import { holdKeyLock, platformAdminKey } from '../../database/units/key-lock';
import { keysetPage } from '../../database/keyset';
import { Identity } from './identity.entity';
import { Transaction, readerOf } from '../../database/units/unit-of-work';
import type { ReadSource } from '../../database/connection/read-routing';

@Injectable()
export class IdentitiesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** By id across businesses: for the verifier and the platform routes only. */
  findByIdAnyBusiness(id: string, tx: Transaction | null) {
    return readerOf(tx, this.dataSource).findOneBy(Identity, { id });
  }

  /** By ids across businesses: for the platform routes only. */
  findManyAnyBusiness(ids: readonly string[]): Promise<Identity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.dataSource.manager.findBy(Identity, { id: In([...ids]) });
  }

  /**
   * The identity, share-locked on PostgreSQL until the transaction ends: a platform token is
   * issued only under this lock, so removing a platform admin (which updates the row) waits
   * for issuers, then revokes their tokens too.
   */
  async findForIssue(tx: Transaction, id: string): Promise<Identity | null> {
    await holdKeyLock(platformAdminKey(id), 'shared', tx);
    return tx.manager.findOneBy(Identity, { id });
  }

  findUserByEmail(email: string, tx: Transaction | null) {
    return readerOf(tx, this.dataSource).findOneBy(Identity, { kind: 'user', email });
  }

  findMachine(businessId: string, id: string, tx: Transaction | null) {
    assertBusinessId(businessId);
    return readerOf(tx, this.dataSource).findOneBy(Identity, {
      kind: 'machine',
      businessId,
      id,
      deletedAt: IsNull(),
    });
  }

  findMachineByName(businessId: string, name: string, tx: Transaction) {
    assertBusinessId(businessId);
    return tx.manager.findOneBy(Identity, {
      kind: 'machine',
      businessId,
      name,
      deletedAt: IsNull(),
    });
  }

  listPlatformAdmins(limit: number, after: Keyset | null, from: ReadSource): Promise<Identity[]> {
    const qb = from.manager
      .createQueryBuilder(Identity, 'i')
      .where('i.is_platform_admin = :yes', { yes: true });
    return keysetPage(qb, 'i.created_at', 'i.id', limit, after).getMany();
  }

  countPlatformAdmins(tx: Transaction | null): Promise<number> {
    return readerOf(tx, this.dataSource).countBy(Identity, { isPlatformAdmin: true });
  }

  /**
   * Locks the platform admin rows, so two concurrent removals cannot both see a second admin.
   * SQLite needs nothing: its units of work already run one at a time.
   */
  async lockPlatformAdmins(tx: Transaction): Promise<void> {
    if (tx.manager.connection.options.type !== 'postgres') return;
    await tx.manager
      .createQueryBuilder(Identity, 'i')
      .select('i.id')
      .where('i.is_platform_admin = :yes', { yes: true })
      // Not FOR UPDATE, which would block every token insert's foreign key on these rows.
      .setLock('for_no_key_update')
      .getMany();
  }

  async insert(tx: Transaction, identity: Identity): Promise<void> {
    await tx.manager.insert(Identity, identity);
  }

  async softDeleteMachine(tx: Transaction, businessId: string, id: string): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx.manager
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
  async setPlatformAdmin(tx: Transaction, id: string, isPlatformAdmin: boolean): Promise<void> {
    if (!isPlatformAdmin) await holdKeyLock(platformAdminKey(id), 'exclusive', tx);
    await tx.manager.update(Identity, { id }, { isPlatformAdmin });
  }
}

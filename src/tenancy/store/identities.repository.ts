import { Injectable } from '@nestjs/common';
import { In, IsNull } from 'typeorm';
import { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import { holdKeyLock, platformAdminKey } from '../../database/units/key-lock';
import { keysetPage } from '../../database/keyset';
import { Identity } from './identity.entity';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';

@Injectable()
export class IdentitiesRepository {
  /** By id across businesses: for the verifier and the platform routes only. */
  findByIdAnyBusiness(id: string, db: Reader) {
    return db.findOneBy(Identity, { id });
  }

  /** By ids across businesses: for the platform routes only. */
  findManyAnyBusiness(ids: readonly string[], db: Reader): Promise<Identity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return db.findBy(Identity, { id: In([...ids]) });
  }

  /**
   * The identity, share-locked on PostgreSQL until the transaction ends: a platform token is
   * issued only under this lock, so removing a platform admin (which updates the row) waits
   * for issuers, then revokes their tokens too.
   */
  async findForIssue(id: string, tx: Transaction): Promise<Identity | null> {
    await holdKeyLock(platformAdminKey(id), 'shared', tx);
    return tx.findOneBy(Identity, { id });
  }

  findUserByEmail(email: string, db: Reader) {
    return db.findOneBy(Identity, { kind: 'user', email });
  }

  findMachine(businessId: string, id: string, db: Reader) {
    assertBusinessId(businessId);
    return db.findRow(Identity, { kind: 'machine', businessId, id, deletedAt: null });
  }

  findMachineByName(businessId: string, name: string, db: Reader) {
    assertBusinessId(businessId);
    return db.findOneBy(Identity, {
      kind: 'machine',
      businessId,
      name,
      deletedAt: IsNull(),
    });
  }

  listPlatformAdmins(limit: number, after: Keyset | null, db: Reader): Promise<Identity[]> {
    const qb = db
      .createQueryBuilder(Identity, 'i')
      .where('i.is_platform_admin = :yes', { yes: true });
    return keysetPage(qb, 'i.created_at', 'i.id', limit, after).getMany();
  }

  countPlatformAdmins(db: Reader): Promise<number> {
    return db.countBy(Identity, { isPlatformAdmin: true });
  }

  /**
   * Locks the platform admin rows, so two concurrent removals cannot both see a second admin.
   * SQLite needs nothing: its units of work already run one at a time.
   */
  async lockPlatformAdmins(tx: Transaction): Promise<void> {
    if (!tx.postgres) return;
    await tx
      .createQueryBuilder(Identity, 'i')
      .select('i.id')
      .where('i.is_platform_admin = :yes', { yes: true })
      // Not FOR UPDATE, which would block every token insert's foreign key on these rows.
      .setLock('for_no_key_update')
      .getMany();
  }

  async insert(identity: Identity, tx: Transaction): Promise<void> {
    await tx.insert(Identity, identity);
  }

  async softDeleteMachine(businessId: string, id: string, tx: Transaction): Promise<boolean> {
    assertBusinessId(businessId);
    const result = await tx
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
  async setPlatformAdmin(id: string, isPlatformAdmin: boolean, tx: Transaction): Promise<void> {
    if (!isPlatformAdmin) await holdKeyLock(platformAdminKey(id), 'exclusive', tx);
    await tx.update(Identity, { id }, { isPlatformAdmin });
  }
}

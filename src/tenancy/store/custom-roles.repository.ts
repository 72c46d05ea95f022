import { Injectable } from '@nestjs/common';
import { assertBusinessId } from '../../common/tenant-scope';
import { holdKeyLock } from '../../database/units/key-lock';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { CustomRole } from './custom-role.entity';

/** A business's custom roles. */
@Injectable()
export class CustomRolesRepository {
  /**
   * Serializes the changes to one business's roles until the transaction ends, so two creates
   * cannot both pass the cap, nor both find a name free and meet at the unique index.
   */
  async lockForChange(businessId: string, tx: Transaction): Promise<void> {
    assertBusinessId(businessId);
    await holdKeyLock(`custom-roles:${businessId}`, 'exclusive', tx);
  }

  list(businessId: string, db: Reader): Promise<CustomRole[]> {
    assertBusinessId(businessId);
    return db.find(CustomRole, { where: { businessId }, order: { name: 'ASC' } });
  }

  count(businessId: string, db: Reader): Promise<number> {
    assertBusinessId(businessId);
    return db.countBy(CustomRole, { businessId });
  }

  find(businessId: string, id: string, db: Reader): Promise<CustomRole | null> {
    assertBusinessId(businessId);
    return db.findOneBy(CustomRole, { businessId, id });
  }

  findByName(businessId: string, name: string, db: Reader): Promise<CustomRole | null> {
    assertBusinessId(businessId);
    return db.findOneBy(CustomRole, { businessId, name });
  }

  async insert(role: CustomRole, tx: Transaction): Promise<void> {
    assertBusinessId(role.businessId);
    await tx.insert(CustomRole, role);
  }

  async update(businessId: string, id: string, fields: Partial<CustomRole>, tx: Transaction) {
    assertBusinessId(businessId);
    await tx.update(CustomRole, { businessId, id }, fields);
  }

  async delete(businessId: string, id: string, tx: Transaction): Promise<void> {
    assertBusinessId(businessId);
    await tx.delete(CustomRole, { businessId, id });
  }
}

import { Injectable } from '@nestjs/common';
import { assertBusinessId } from '../../common/tenant-scope';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { BusinessLimit, BusinessLimitOverride } from './business-limit.entity';

/** A business's shared limits and their overrides, always read and written by business. */
@Injectable()
export class BusinessLimitsRepository {
  /** The business's limits, by name. */
  limitsOf(businessId: string, db: Reader): Promise<BusinessLimit[]> {
    assertBusinessId(businessId);
    return db.find(BusinessLimit, { where: { businessId }, order: { name: 'ASC' } });
  }

  /** The business's overrides, of every limit, by limit then identity. */
  overridesOf(businessId: string, db: Reader): Promise<BusinessLimitOverride[]> {
    assertBusinessId(businessId);
    return db.find(BusinessLimitOverride, {
      where: { businessId },
      order: { name: 'ASC', identityId: 'ASC' },
    });
  }

  find(businessId: string, name: string, db: Reader): Promise<BusinessLimit | null> {
    assertBusinessId(businessId);
    return db.findOneBy(BusinessLimit, { businessId, name });
  }

  /** Writes the limit, new (`exists` false) or over the one there, with its overrides. */
  async save(
    limit: BusinessLimit,
    overrides: BusinessLimitOverride[],
    exists: boolean,
    tx: Transaction,
  ): Promise<void> {
    const { businessId, name } = limit;
    assertBusinessId(businessId);
    if (exists) {
      const { window, perBusiness, perIdentity, updatedAt, updatedBy, updatedById } = limit;
      const fields = { window, perBusiness, perIdentity, updatedAt, updatedBy, updatedById };
      await tx.update(BusinessLimit, { businessId, name }, fields);
      await tx.delete(BusinessLimitOverride, { businessId, name });
    } else {
      await tx.insert(BusinessLimit, limit);
    }
    if (overrides.length > 0) await tx.insert(BusinessLimitOverride, overrides);
  }

  /** Deletes the limit and its overrides; answers whether there was one. */
  async delete(businessId: string, name: string, tx: Transaction): Promise<boolean> {
    assertBusinessId(businessId);
    await tx.delete(BusinessLimitOverride, { businessId, name });
    const gone = await tx.delete(BusinessLimit, { businessId, name });
    return (gone.affected ?? 0) > 0;
  }

  /** Deletes one identity's overrides in the business, when it leaves it. */
  async deleteOverridesOf(businessId: string, identityId: string, tx: Transaction): Promise<void> {
    assertBusinessId(businessId);
    await tx.delete(BusinessLimitOverride, { businessId, identityId });
  }
}

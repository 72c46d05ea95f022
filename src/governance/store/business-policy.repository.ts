import { Injectable } from '@nestjs/common';
import { IsNull, Not } from 'typeorm';
import { assertBusinessId } from '../../common/tenant-scope';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { BusinessTokenPolicy } from './business-policy.entity';

/** Businesses' token policies (`business_token_policies`), one row per business that set one. */
@Injectable()
export class BusinessPolicyRepository {
  find(businessId: string, db: Reader): Promise<BusinessTokenPolicy | null> {
    assertBusinessId(businessId);
    return db.findRow(BusinessTokenPolicy, { businessId });
  }

  /** Writes the business's policy, the first (`exists` false) or over the one there. */
  async save(policy: BusinessTokenPolicy, exists: boolean, tx: Transaction): Promise<void> {
    assertBusinessId(policy.businessId);
    if (!exists) {
      await tx.insert(BusinessTokenPolicy, policy);
      return;
    }
    const { businessId, ...fields } = policy;
    await tx.update(BusinessTokenPolicy, { businessId }, fields);
  }

  /**
   * The policies, in any business, that revoke unused tokens: the inactivity sweep's read, a job
   * of the installation's rather than of one tenant, so its name says so.
   */
  findRevokingInactiveAnyBusiness(db: Reader): Promise<BusinessTokenPolicy[]> {
    return db.find(BusinessTokenPolicy, {
      where: { inactivityRevokeDays: Not(IsNull()) },
      order: { businessId: 'ASC' },
    });
  }
}

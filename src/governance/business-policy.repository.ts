import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, Not } from 'typeorm';
import { assertBusinessId } from '../common/tenant-scope';
import { readerOf, Transaction } from '../database/units/unit-of-work';
import { BusinessTokenPolicy } from './business-policy.entity';

/** Businesses' token policies (`business_token_policies`), one row per business that set one. */
@Injectable()
export class BusinessPolicyRepository {
  constructor(private readonly dataSource: DataSource) {}

  find(businessId: string, tx: Transaction | null): Promise<BusinessTokenPolicy | null> {
    assertBusinessId(businessId);
    return readerOf(tx, this.dataSource).findOneBy(BusinessTokenPolicy, { businessId });
  }

  /** Writes the business's policy, the first (`exists` false) or over the one there. */
  async save(tx: Transaction, policy: BusinessTokenPolicy, exists: boolean): Promise<void> {
    assertBusinessId(policy.businessId);
    if (!exists) {
      await tx.manager.insert(BusinessTokenPolicy, policy);
      return;
    }
    const { businessId, ...fields } = policy;
    await tx.manager.update(BusinessTokenPolicy, { businessId }, fields);
  }

  /**
   * The policies, in any business, that revoke unused tokens: the inactivity sweep's read, a job
   * of the installation's rather than of one tenant, so its name says so.
   */
  findRevokingInactiveAnyBusiness(): Promise<BusinessTokenPolicy[]> {
    return this.dataSource.manager.find(BusinessTokenPolicy, {
      where: { inactivityRevokeDays: Not(IsNull()) },
      order: { businessId: 'ASC' },
    });
  }
}

import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { assertBusinessId } from '../../common/tenant-scope';
import { holdKeyLock } from '../../database/units/key-lock';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { SsoGroupRole } from './sso-group-role.entity';

/** Each business's map from provider groups to roles. */
@Injectable()
export class SsoGroupRolesRepository {
  /**
   * Serializes the changes to one business's rules until the transaction ends, so two sets of
   * one group cannot both insert it, nor two new groups both pass the cap.
   */
  async lockForChange(businessId: string, tx: Transaction): Promise<void> {
    assertBusinessId(businessId);
    await holdKeyLock(`sso-group-roles:${businessId}`, 'exclusive', tx);
  }

  list(businessId: string, db: Reader): Promise<SsoGroupRole[]> {
    assertBusinessId(businessId);
    return db.find(SsoGroupRole, { where: { businessId }, order: { groupName: 'ASC' } });
  }

  count(businessId: string, db: Reader): Promise<number> {
    assertBusinessId(businessId);
    return db.countBy(SsoGroupRole, { businessId });
  }

  find(businessId: string, id: string, db: Reader): Promise<SsoGroupRole | null> {
    assertBusinessId(businessId);
    return db.findOneBy(SsoGroupRole, { businessId, id });
  }

  findByGroup(businessId: string, groupName: string, db: Reader): Promise<SsoGroupRole | null> {
    assertBusinessId(businessId);
    return db.findOneBy(SsoGroupRole, { businessId, groupName });
  }

  /** The business's rules that name one of `groups`. */
  matching(businessId: string, groups: string[], db: Reader): Promise<SsoGroupRole[]> {
    assertBusinessId(businessId);
    if (groups.length === 0) return Promise.resolve([]);
    return db.findBy(SsoGroupRole, { businessId, groupName: In(groups) });
  }

  /**
   * The rules of every business that name one of `groups`: a sign-in that names no business
   * finds where its person belongs. The one read here that crosses tenants, for that alone.
   */
  matchingAnyBusiness(groups: string[], db: Reader): Promise<SsoGroupRole[]> {
    if (groups.length === 0) return Promise.resolve([]);
    return db.find(SsoGroupRole, { where: { groupName: In(groups) }, take: 1000 });
  }

  async insert(rule: SsoGroupRole, tx: Transaction): Promise<void> {
    assertBusinessId(rule.businessId);
    await tx.insert(SsoGroupRole, rule);
  }

  async setRole(businessId: string, id: string, rule: Partial<SsoGroupRole>, tx: Transaction) {
    assertBusinessId(businessId);
    await tx.update(SsoGroupRole, { businessId, id }, rule);
  }

  async delete(businessId: string, id: string, tx: Transaction): Promise<void> {
    assertBusinessId(businessId);
    await tx.delete(SsoGroupRole, { businessId, id });
  }
}

import { Injectable } from '@nestjs/common';
import { assertBusinessId } from '../../common/tenant-scope';
import { holdKeyLock } from '../../database/units/key-lock';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { SsoSettings } from './sso-settings.entity';

/** Each business's console sign-in setting: one row, or none (token sign-in on). */
@Injectable()
export class SsoSettingsRepository {
  /** Serializes the changes to one business's setting, so two first sets do not both insert. */
  async lockForChange(businessId: string, tx: Transaction): Promise<void> {
    assertBusinessId(businessId);
    await holdKeyLock(`sso-settings:${businessId}`, 'exclusive', tx);
  }

  find(businessId: string, db: Reader): Promise<SsoSettings | null> {
    assertBusinessId(businessId);
    return db.findOneBy(SsoSettings, { businessId });
  }

  async save(
    businessId: string,
    row: Omit<SsoSettings, 'businessId'>,
    exists: boolean,
    tx: Transaction,
  ): Promise<void> {
    assertBusinessId(businessId);
    if (exists) await tx.update(SsoSettings, { businessId }, row);
    else await tx.insert(SsoSettings, { businessId, ...row });
  }
}

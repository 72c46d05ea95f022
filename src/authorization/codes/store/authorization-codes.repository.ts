import { Injectable } from '@nestjs/common';
import { IsNull, LessThan, MoreThan } from 'typeorm';
import { assertBusinessId } from '../../../common/tenant-scope';
import type { Reader } from '../../../database/units/reader';
import type { Transaction } from '../../../database/units/unit-of-work';
import { AuthorizationCode } from './authorization-code.entity';

/** The authorization codes: by business, but for the lookup by the code's hash and the sweep. */
@Injectable()
export class AuthorizationCodesRepository {
  async insert(code: AuthorizationCode, tx: Transaction): Promise<void> {
    assertBusinessId(code.businessId);
    await tx.insert(AuthorizationCode, code);
  }

  /**
   * The code a presented secret hashes to, in any business: the secret is all its presenter
   * holds, so this is the one read that crosses tenants (as a token's lookup by hash does); the
   * caller compares the business it is redeemed in.
   */
  findByHashAnyBusiness(codeHash: string, db: Reader): Promise<AuthorizationCode | null> {
    return db.findOneBy(AuthorizationCode, { codeHash });
  }

  /**
   * Marks the code redeemed, if it is neither redeemed nor expired at `now`: a conditional
   * UPDATE, since SQLite has no row locks; of concurrent redemptions exactly one changes the row.
   * Answers whether this call did.
   */
  async redeem(businessId: string, codeHash: string, now: Date, tx: Transaction) {
    assertBusinessId(businessId);
    const result = await tx.update(
      AuthorizationCode,
      { businessId, codeHash, redeemedAt: IsNull(), expiresAt: MoreThan(now) },
      { redeemedAt: now },
    );
    return (result.affected ?? 0) > 0;
  }

  /**
   * Deletes every code that expired before `before`, redeemed or not, in every business: the
   * installation's sweep, which reads no tenant's data. Answers how many it deleted.
   */
  async sweepAnyBusiness(before: Date, tx: Transaction): Promise<number> {
    const result = await tx.delete(AuthorizationCode, { expiresAt: LessThan(before) });
    return result.affected ?? 0;
  }
}

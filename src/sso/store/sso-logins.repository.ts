import { Injectable } from '@nestjs/common';
import { In, LessThan, MoreThan } from 'typeorm';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { SsoLogin, SsoLoginStatus } from './sso-login.entity';

/**
 * Sign-ins in flight. They belong to no business until the provider has vouched for someone, so
 * they are found by the hashes of what the browser holds (the state, the hand-off), never by id.
 */
@Injectable()
export class SsoLoginsRepository {
  async insert(login: SsoLogin, tx: Transaction): Promise<void> {
    await tx.insert(SsoLogin, login);
  }

  /** How many sign-ins are still in flight: the bound on what strangers may make us store. */
  countLive(now: Date, db: Reader): Promise<number> {
    return db.countBy(SsoLogin, {
      status: In(['started', 'verified'] satisfies SsoLoginStatus[]),
      expiresAt: MoreThan(now),
    });
  }

  /** Deletes the sign-ins that ended or expired before `before`. */
  async sweep(before: Date, tx: Transaction): Promise<void> {
    await tx.delete(SsoLogin, { expiresAt: LessThan(before) });
  }

  findByState(stateHash: string, db: Reader): Promise<SsoLogin | null> {
    return db.findOneBy(SsoLogin, { stateHash });
  }

  findByHandoff(handoffHash: string, db: Reader): Promise<SsoLogin | null> {
    return db.findOneBy(SsoLogin, { handoffHash });
  }

  /**
   * Moves a sign-in from `from` to `to` (and sets `fields`) if it is still at `from` and not
   * expired: of two callbacks or two collections at once, exactly one wins. Answers whether
   * this one did.
   */
  async advance(
    id: string,
    from: SsoLoginStatus,
    to: SsoLoginStatus,
    now: Date,
    fields: Partial<SsoLogin>,
    tx: Transaction,
  ): Promise<boolean> {
    const result = await tx.update(
      SsoLogin,
      { id, status: from, expiresAt: MoreThan(now) },
      { ...fields, status: to },
    );
    return (result.affected ?? 0) > 0;
  }
}

import { Injectable } from '@nestjs/common';
import { assertBusinessId } from '../../common/tenant-scope';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { balanceAt, CreditAccount } from './credit-account.entity';

/** What a take left: the credits granted, and the account they came from. */
export interface Taken {
  granted: number;
  /** The balance left in the store, and its period and epoch, after the take. */
  balance: number;
  period: number;
  epoch: number;
}

/** Tries of a take whose compare-and-set lost to another instance's, before it says none. */
const TAKE_TRIES = 8;

/** Credit balances, read and written by business; each write a compare-and-set or additive. */
@Injectable()
export class CreditAccountsRepository {
  accountsOf(businessId: string, db: Reader): Promise<CreditAccount[]> {
    assertBusinessId(businessId);
    return db.find(CreditAccount, { where: { businessId }, order: { holder: 'ASC' } });
  }

  find(businessId: string, holder: string, db: Reader): Promise<CreditAccount | null> {
    assertBusinessId(businessId);
    return db.findOneBy(CreditAccount, { businessId, holder });
  }

  /**
   * Takes up to `want` credits, and no fewer than `least`, refilling first when a refill is due:
   * a compare-and-set on the row as read, so two instances never take the same credits. Answers
   * `granted: 0` when fewer than `least` are there, and null when the account is gone.
   */
  async take(
    businessId: string,
    holder: string,
    want: number,
    least: number,
    atMs: number,
    tx: Transaction,
  ): Promise<Taken | null> {
    assertBusinessId(businessId);
    for (let i = 0; i < TAKE_TRIES; i++) {
      const row = await this.find(businessId, holder, tx);
      if (!row) return null;
      const { balance: there, period } = balanceAt(row, atMs);
      if (there < least) return { granted: 0, balance: there, period, epoch: row.epoch };
      const granted = Math.min(want, there);
      const changed = await tx.statement(
        'UPDATE credit_accounts SET balance = ?, period = ?, leased = leased + ?, leased_at = ? ' +
          'WHERE business_id = ? AND holder = ? AND epoch = ? AND balance = ? AND period = ?',
        [
          there - granted,
          period,
          granted,
          tx.time(new Date(atMs)),
          businessId,
          holder,
          row.epoch,
          row.balance,
          row.period,
        ],
      );
      if (changed === 1) return { granted, balance: there - granted, period, epoch: row.epoch };
    }
    return { granted: 0, balance: 0, period: 0, epoch: -1 };
  }

  /**
   * Settles what an instance took under `epoch`: `spent` leaves the lease count, and `returned`
   * goes back to the balance too, when the account is still in the period it was taken in. A
   * lease of an older epoch (the balance was set since) settles nothing: its credits are gone.
   */
  async settle(
    businessId: string,
    holder: string,
    lease: { epoch: number; period: number; spent: number; returned: number },
    tx: Transaction,
  ): Promise<void> {
    assertBusinessId(businessId);
    const done = lease.spent + lease.returned;
    await tx.statement(
      'UPDATE credit_accounts SET ' +
        'leased = CASE WHEN leased > ? THEN leased - ? ELSE 0 END, ' +
        'balance = CASE WHEN period = ? THEN balance + ? ELSE balance END ' +
        'WHERE business_id = ? AND holder = ? AND epoch = ?',
      [done, done, lease.period, lease.returned, businessId, holder, lease.epoch],
    );
  }

  /** Writes the account, new or over the one there (a new epoch, nothing leased). */
  async save(account: CreditAccount, exists: boolean, tx: Transaction): Promise<void> {
    assertBusinessId(account.businessId);
    if (!exists) {
      await tx.insert(CreditAccount, account);
      return;
    }
    const { businessId, holder, ...fields } = account;
    await tx.update(CreditAccount, { businessId, holder }, fields);
  }

  async delete(businessId: string, holder: string, tx: Transaction): Promise<boolean> {
    assertBusinessId(businessId);
    const gone = await tx.delete(CreditAccount, { businessId, holder });
    return (gone.affected ?? 0) > 0;
  }

  /**
   * Writes off leases no instance settled since `before` (one that stopped without handing its
   * credits back): counted as spent, never returned. Any business's: a job of the installation.
   */
  writeOffStaleLeasesAnyBusiness(before: Date, tx: Transaction): Promise<number> {
    return tx.statement(
      'UPDATE credit_accounts SET leased = 0 WHERE leased > 0 AND leased_at < ?',
      [tx.time(before)],
    );
  }
}

import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../auth/request-context';
import { refillPeriodOf } from '../../common/refill-period';
import { Database } from '../../database/connection/read-routing';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { TenancyError } from '../../tenancy/tenancy-error';
import { GovernanceError } from '../governance-error';
import { balanceAt, BUSINESS_HOLDER, CreditAccount } from '../store/credit-account.entity';
import { CreditAccountsRepository } from '../store/credit-accounts.repository';
import { CreditBalanceDeletedEvent, CreditBalanceSetEvent, CreditSnapshot } from './credits.events';
import { CreditBalancesDto, CreditBalanceViewDto, PutCreditBalanceDto } from './dto/credits.dto';

/** A business's credit balances: read by owners and admins, set by owners, audited. */
@Injectable()
export class CreditsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly accounts: CreditAccountsRepository,
    private readonly tenancy: TenancyDirectory,
    private readonly database: Database,
  ) {}

  async list(ctx: RequestContext, now = Date.now()): Promise<CreditBalancesDto> {
    const rows = await this.accounts.accountsOf(ctx.businessId, this.database.primary);
    const business = rows.filter((r) => r.holder === BUSINESS_HOLDER);
    const identities = rows.filter((r) => r.holder !== BUSINESS_HOLDER);
    return { items: [...business, ...identities].map((r) => viewOf(r, now)) };
  }

  /** Sets the balance of `holder` (`business`, or an identity of the business), audited. */
  put(
    ctx: RequestContext,
    holder: string,
    dto: PutCreditBalanceDto,
  ): Promise<CreditBalanceViewDto> {
    const { businessId, author } = ctx;
    const who = holder.toLowerCase();
    const now = Date.now();
    return this.uow.run(async (tx) => {
      if (who !== BUSINESS_HOLDER && !(await this.tenancy.isMember(businessId, who, tx))) {
        throw new TenancyError('IDENTITY_NOT_FOUND');
      }
      const before = await this.accounts.find(businessId, who, tx);
      const refill = dto.refill ?? null;
      const row: CreditAccount = {
        businessId,
        holder: who,
        balance: dto.balance,
        leased: 0,
        leasedAt: null,
        refillAmount: refill?.amount ?? null,
        refillInterval: refill?.interval ?? null,
        period: refillPeriodOf(refill?.interval, now),
        // What instances hold of the old balance is neither settled nor handed back.
        epoch: (before?.epoch ?? 0) + 1,
        updatedAt: new Date(now),
        updatedBy: author.actor.label,
        updatedById: author.actor.id,
      };
      await this.accounts.save(row, before !== null, tx);
      await tx.publish(
        new CreditBalanceSetEvent(
          author,
          businessId,
          who,
          before && snapshotOf(before, now),
          snapshotOf(row, now),
        ),
      );
      return viewOf(row, now);
    });
  }

  /** Deletes the balance; 404 CREDIT_ACCOUNT_NOT_FOUND when there is none. */
  delete(ctx: RequestContext, holder: string): Promise<CreditBalanceViewDto> {
    const { businessId, author } = ctx;
    const who = holder.toLowerCase();
    const now = Date.now();
    return this.uow.run(async (tx) => {
      const before = await this.accounts.find(businessId, who, tx);
      if (!before) throw new GovernanceError('CREDIT_ACCOUNT_NOT_FOUND');
      await this.accounts.delete(businessId, who, tx);
      await tx.publish(
        new CreditBalanceDeletedEvent(author, businessId, who, snapshotOf(before, now)),
      );
      return viewOf(before, now);
    });
  }
}

function snapshotOf(row: CreditAccount, now: number): CreditSnapshot {
  const refill =
    row.refillAmount !== null && row.refillInterval !== null
      ? { amount: row.refillAmount, interval: row.refillInterval }
      : null;
  return { balance: balanceAt(row, now).balance, refill };
}

function viewOf(row: CreditAccount, now: number): CreditBalanceViewDto {
  return {
    holder: row.holder,
    ...snapshotOf(row, now),
    leased: row.leased,
    updated_at: row.updatedAt.toISOString(),
    updated_by: row.updatedBy,
  };
}

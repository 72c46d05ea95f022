import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { boundedLru } from '../../common/bounded-lru';
import { CreditSpender } from '../../auth/ports';
import { loggableError } from '../../common/errors/safe-error';
import { StorageUnavailableError } from '../../common/errors/domain-error';
import { Invalidations } from '../../common/invalidations';
import { lazy } from '../../common/lazy';
import { refillPeriodOf, secondsToRefill, type RefillInterval } from '../../common/refill-period';
import { Database } from '../../database/connection/read-routing';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { BusinessBook } from '../business-book';
import { creditsExhausted } from '../governance-error';
import { BUSINESS_HOLDER } from '../store/credit-account.entity';
import { CreditAccountsRepository } from '../store/credit-accounts.repository';

/** What the request path knows of a balance: whose, and what makes a lease of it stale. */
export interface CreditRule {
  readonly holder: string;
  readonly epoch: number;
  readonly refillInterval: RefillInterval | null;
}
type CreditRules = ReadonlyMap<string, CreditRule>;

/** Credits this process took from a balance and has not settled. */
interface Lease {
  epoch: number;
  period: number;
  left: number;
  /** Spent since the last settle. */
  spent: number;
  takenAt: number;
}

/** A lease lives this long, then what is left goes back; the longest credits sit unspent here. */
export const LEASE_TTL_MS = 10_000;
const SETTLE_EVERY_MS = 1_000;
/** Leases no instance settled for this long are written off as spent (it stopped). */
export const STALE_LEASE_MS = 60_000;
/** A lease is 1% of what is left, from 1 to 100: what a `kill -9` loses at most. */
const leaseOf = (left: number) => Math.min(100, Math.max(1, Math.floor(left / 100)));
/** Takes one check may wait through (each spent by others first) before it is refused (503). */
const MAX_PASSES = 16;

/**
 * Spends each gateway check's cost from credit balances: the check's identity's, when it holds
 * one, then the business's. A balance is kept in the database; each instance takes blocks of it
 * (a compare-and-set, so no credit is taken twice) and spends them from memory, so most checks
 * make no write. Every second it settles what it spent; a block it did not spend in 10 s goes
 * back. A credit is taken before the check it pays for is answered, so after a crash nothing was
 * granted that the store did not count: what a stopped instance held is lost (written off after a
 * minute), never granted twice. While blocks are out, the balance reads lower by them (`leased`).
 */
@Injectable()
export class CreditMeter
  extends CreditSpender
  implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly logger = new Logger(CreditMeter.name);
  /** The clock periods are read against: time-based tests move it. */
  clock: () => number = Date.now;
  private readonly book: BusinessBook<CreditRules>;
  /** Pushed out by newer balances: what it held is lost (under-served), never granted twice. */
  private readonly leases = lazy(() => boundedLru<string, Lease>(100_000));
  private readonly takes = new Map<string, Promise<boolean>>();
  /** What the checks waiting on each balance's take need between them: what the take asks for. */
  private readonly demand = new Map<string, number>();
  /** Leases replaced by a newer one (a new period or epoch), still to be settled. */
  private retired: [string, Lease][] = [];
  /** What each balance last had left in the store: the next lease's size. */
  private readonly lastLeft = lazy(() => boundedLru<string, number>(100_000));
  private timer: NodeJS.Timeout | null = null;
  private settling: Promise<void> = Promise.resolve();
  private nextWriteOffAt = 0;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly accounts: CreditAccountsRepository,
    private readonly database: Database,
    invalidations: Invalidations,
  ) {
    super();
    this.book = new BusinessBook((businessId) => this.rulesOf(businessId), invalidations, 5_000);
  }

  spend(businessId: string, identityId: string, cost: number): boolean | Promise<boolean> {
    const rules = this.book.get(businessId);
    if (rules instanceof Promise) {
      return rules.then((r) => this.spendIn(r, businessId, identityId, cost));
    }
    return this.spendIn(rules, businessId, identityId, cost);
  }

  private spendIn(
    rules: CreditRules,
    businessId: string,
    identityId: string,
    cost: number,
  ): boolean | Promise<boolean> {
    if (rules.size === 0) return false;
    const payers = [rules.get(identityId), rules.get(BUSINESS_HOLDER)].filter(
      (r): r is CreditRule => r !== undefined,
    );
    if (payers.length === 0) return false;
    const now = this.clock();
    if (cost === 0) return true;
    if (payers.every((r) => (this.leaseFor(businessId, r, now)?.left ?? 0) >= cost)) {
      for (const rule of payers) this.pay(this.leaseFor(businessId, rule, now)!, cost);
      return true;
    }
    return this.spendSlowly(businessId, payers, cost).then(() => true);
  }

  /** Each payer in turn, taking credits where its lease is short; refunds the first when the second cannot pay. */
  private async spendSlowly(businessId: string, payers: CreditRule[], cost: number) {
    const paid: Lease[] = [];
    try {
      for (const rule of payers) paid.push(await this.payFrom(businessId, rule, cost));
    } catch (e) {
      for (const lease of paid) this.refund(lease, cost);
      throw e;
    }
  }

  private async payFrom(businessId: string, rule: CreditRule, cost: number): Promise<Lease> {
    const key = keyOf(businessId, rule.holder);
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const lease = this.leaseFor(businessId, rule, this.clock());
      if (lease && lease.left >= cost) return this.pay(lease, cost);
      this.demand.set(key, (this.demand.get(key) ?? 0) + cost);
      let take = this.takes.get(key);
      if (!take) {
        take = this.take(businessId, rule, cost).finally(() => this.takes.delete(key));
        this.takes.set(key, take);
      }
      let taken: boolean;
      try {
        taken = await take;
      } finally {
        const left = (this.demand.get(key) ?? cost) - cost;
        if (left > 0) this.demand.set(key, left);
        else this.demand.delete(key);
      }
      if (!taken) {
        const whose = rule.holder === BUSINESS_HOLDER ? "business's" : "identity's";
        throw creditsExhausted(whose, this.secondsToRefill(rule));
      }
    }
    throw new StorageUnavailableError('credits are being taken faster than this check could wait');
  }

  /** Takes a block with at least what `cost` lacks; false when the balance cannot give it. */
  private async take(businessId: string, rule: CreditRule, cost: number): Promise<boolean> {
    const key = keyOf(businessId, rule.holder);
    const now = this.clock();
    const held = this.leaseFor(businessId, rule, now);
    const least = cost - (held?.left ?? 0);
    // Enough for every check waiting on it, and a block ahead: one write serves them all.
    const waiting = (this.demand.get(key) ?? cost) - (held?.left ?? 0);
    const want = Math.max(least, waiting, leaseOf(this.lastLeft().get(key) ?? 0));
    const taken = await this.uow.run((tx) =>
      this.accounts.take(businessId, rule.holder, want, least, now, tx),
    );
    if (!taken || taken.granted === 0) return false;
    this.lastLeft().set(key, taken.balance);
    if (held && held.epoch === taken.epoch && held.period === taken.period) {
      held.left += taken.granted;
      held.takenAt = now;
      return true;
    }
    const before = this.leases().get(key);
    if (before) this.retired.push([key, before]);
    this.leases().set(key, { ...taken, left: taken.granted, spent: 0, takenAt: now });
    return true;
  }

  /** The lease of this balance that may still be spent: same epoch and period, and young. */
  private leaseFor(businessId: string, rule: CreditRule, now: number): Lease | undefined {
    const lease = this.leases().get(keyOf(businessId, rule.holder));
    if (!lease || lease.epoch !== rule.epoch || now - lease.takenAt >= LEASE_TTL_MS) return;
    return lease.period === refillPeriodOf(rule.refillInterval, now) ? lease : undefined;
  }

  private pay(lease: Lease, cost: number): Lease {
    lease.left -= cost;
    lease.spent += cost;
    return lease;
  }

  private refund(lease: Lease, cost: number): void {
    lease.left += cost;
    lease.spent -= cost;
  }

  private secondsToRefill(rule: CreditRule): number | null {
    return secondsToRefill(rule.refillInterval, this.clock());
  }

  private async rulesOf(businessId: string): Promise<CreditRules> {
    const rows = await this.accounts.accountsOf(businessId, this.database.primary);
    return new Map(
      rows.map((r) => [
        r.holder,
        { holder: r.holder, epoch: r.epoch, refillInterval: r.refillInterval },
      ]),
    );
  }

  /**
   * Settles what was spent, and hands back what old leases (all of them, at shutdown) hold;
   * a minute at a time, writes off leases a stopped instance never settled.
   */
  settle(final = false): Promise<void> {
    this.settling = this.settling.then(() => this.settleNow(final));
    return this.settling;
  }

  private async settleNow(final: boolean): Promise<void> {
    const now = this.clock();
    // Taken off the leases now, so what is spent while the write runs waits for the next one.
    const due: { key: string; epoch: number; period: number; spent: number; returned: number }[] =
      [];
    const retired = new Set(this.retired.map(([, lease]) => lease));
    const leases = this.leases.peek();
    for (const [key, lease] of [...this.retired, ...(leases?.entries() ?? [])]) {
      const old = final || retired.has(lease) || now - lease.takenAt >= LEASE_TTL_MS;
      if (old && leases?.get(key) === lease) leases.delete(key);
      const returned = old ? lease.left : 0;
      if (lease.spent > 0 || returned > 0) {
        due.push({ key, epoch: lease.epoch, period: lease.period, spent: lease.spent, returned });
        lease.spent = 0;
        lease.left -= returned;
      }
    }
    this.retired = [];
    const writeOff = now >= this.nextWriteOffAt;
    if (due.length === 0 && !writeOff) return;
    try {
      await this.uow.run(async (tx) => {
        // In one order, so instances settling the same rows cannot deadlock on one another.
        for (const { key, ...lease } of due.sort((a, b) => (a.key < b.key ? -1 : 1))) {
          const [businessId, holder] = key.split('\n');
          await this.accounts.settle(businessId, holder, lease, tx);
        }
        if (writeOff) {
          this.nextWriteOffAt = now + STALE_LEASE_MS;
          await this.accounts.writeOffStaleLeasesAnyBusiness(new Date(now - STALE_LEASE_MS), tx);
        }
      });
    } catch (e) {
      // Unsettled, the store keeps them as leased: reported, and written off in a minute.
      this.logger.warn({ err: loggableError(e) }, 'credits not settled');
    }
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.settle(), SETTLE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.book.close();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.settle(true);
  }
}

function keyOf(businessId: string, holder: string): string {
  return `${businessId}\n${holder}`;
}

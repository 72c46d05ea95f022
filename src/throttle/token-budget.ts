import { boundedLru } from '../common/bounded-lru';
import { lazy } from '../common/lazy';

/** What a shared counter answers: the window's total after the add, and when the window ends. */
export interface WindowCount {
  total: number;
  ttlMs: number;
}

/**
 * A counter per key over a fixed window that starts with the key's first add. Redis keeps it
 * when configured, so instances share one count; `MemoryWindowCounter` otherwise.
 */
export interface WindowCounter {
  addToWindow(key: string, amount: number, windowMs: number): Promise<WindowCount>;
}

export function isWindowCounter(value: unknown): value is WindowCounter {
  return typeof (value as Partial<WindowCounter>)?.addToWindow === 'function';
}

/** The same counter in this process alone, bounded in keys. */
export class MemoryWindowCounter implements WindowCounter {
  private readonly windows = lazy(() =>
    boundedLru<string, { total: number; endsAt: number }>(100_000),
  );

  addToWindow(key: string, amount: number, windowMs: number): Promise<WindowCount> {
    const now = Date.now();
    let window = this.windows().get(key);
    if (!window || window.endsAt <= now) {
      window = { total: 0, endsAt: now + windowMs };
      this.windows().set(key, window);
    }
    window.total += amount;
    return Promise.resolve({ total: window.total, ttlMs: window.endsAt - now });
  }
}

/** Units of a window this instance holds. `spent`: the shared window has nothing left. */
interface Lease {
  left: number;
  endsAt: number;
  spent: boolean;
}

/**
 * A limit at or below this is counted in the shared store one request at a time, so it is exact
 * across instances (5 a minute is 5, wherever the calls land).
 */
export const EXACT_LIMIT_MAX = 199;

/** Above `EXACT_LIMIT_MAX`, an instance takes a hundredth of the limit from the store at a time. */
export function leaseSize(limit: number): number {
  return limit <= EXACT_LIMIT_MAX ? 1 : Math.floor(limit / 100);
}

/** null: the request may go on; a number: refused, retry after that many milliseconds. */
export type Spend = null | number;

/**
 * A token's own `rate_limit_per_minute`, shared across instances without a store round trip per
 * request: an instance leases units of the token's window from the shared counter and spends
 * them locally. The shared total never passes the limit, so no more than the limit is ever
 * served; what a lease holds unspent when its window ends is lost, so with several instances a
 * busy token can be refused up to one lease (1% of its limit) per instance early. Once the
 * counter says the window is spent, refusals need no round trip until it ends.
 */
export class TokenBudget {
  /** Made on the first token with a limit: most instances' tokens have none. */
  private readonly leases = lazy(() => boundedLru<string, Lease>(100_000));
  /** One refill in flight per token, which concurrent requests wait on instead of each asking. */
  private readonly refills = new Map<string, Promise<boolean>>();

  constructor(
    private readonly counter: WindowCounter,
    private readonly windowMs: number,
  ) {}

  /** Answers at once while this instance's lease has units (or knows the window spent). */
  spend(key: string, limit: number): Spend | Promise<Spend> {
    const local = this.spendLocally(key);
    return local !== undefined ? local : this.spendShared(key, limit);
  }

  /** From the lease: null or a refusal; undefined when the shared counter must be asked. */
  private spendLocally(key: string): Spend | undefined {
    const lease = this.leases().get(key);
    const now = Date.now();
    if (lease === undefined || lease.endsAt <= now) return undefined;
    if (lease.left > 0) {
      lease.left -= 1;
      return null;
    }
    return lease.spent ? lease.endsAt - now : undefined;
  }

  private async spendShared(key: string, limit: number): Promise<Spend> {
    const size = leaseSize(limit);
    if (size === 1) return this.spendOne(key, limit);
    // Each pass waits on a refill that grants a unit or finds the window spent; units taken by
    // concurrent requests send this one round again, and the window's units are finite.
    for (;;) {
      let refill = this.refills.get(key);
      if (!refill) {
        refill = this.refill(key, limit, size).finally(() => this.refills.delete(key));
        this.refills.set(key, refill);
      }
      if (!(await refill)) return null;
      const local = this.spendLocally(key);
      if (local !== undefined) return local;
    }
  }

  /** Exact: one unit from the shared counter for this request alone. */
  private async spendOne(key: string, limit: number): Promise<Spend> {
    const { total, ttlMs } = await this.counter.addToWindow(key, 1, this.windowMs);
    if (total >= limit)
      this.leases().set(key, { left: 0, endsAt: Date.now() + ttlMs, spent: true });
    return total <= limit ? null : Math.max(ttlMs, 1);
  }

  /** Leases up to `size` units; false when the counter cannot say (the caller lets it through). */
  private async refill(key: string, limit: number, size: number): Promise<boolean> {
    const { total, ttlMs } = await this.counter.addToWindow(key, size, this.windowMs);
    if (ttlMs <= 0) return false;
    const granted = Math.max(0, Math.min(size, limit - (total - size)));
    this.leases().set(key, { left: granted, endsAt: Date.now() + ttlMs, spent: total >= limit });
    return true;
  }
}

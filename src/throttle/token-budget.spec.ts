import {
  EXACT_LIMIT_MAX,
  leaseSize,
  MemoryWindowCounter,
  TokenBudget,
  type WindowCount,
  type WindowCounter,
} from './token-budget';

const WINDOW_MS = 60_000;

/** A counter that counts its round trips, over the in-memory one. */
class CountingCounter implements WindowCounter {
  readonly inner = new MemoryWindowCounter();
  calls = 0;
  addToWindow(key: string, amount: number, windowMs: number): Promise<WindowCount> {
    this.calls += 1;
    return this.inner.addToWindow(key, amount, windowMs);
  }
}

async function served(budget: TokenBudget, key: string, limit: number, n: number) {
  const results = await Promise.all(
    Array.from({ length: n }, async () => budget.spend(key, limit)),
  );
  return results.filter((r) => r === null).length;
}

describe(TokenBudget.name, () => {
  afterEach(() => jest.useRealTimers());

  it.each([1, 5, EXACT_LIMIT_MAX])(
    'a limit of %i is exact across two instances sharing the counter, calls in parallel',
    async (limit) => {
      const shared = new MemoryWindowCounter();
      const a = new TokenBudget(shared, WINDOW_MS);
      const b = new TokenBudget(shared, WINDOW_MS);
      const [fromA, fromB] = await Promise.all([
        served(a, 't', limit, limit + 7),
        served(b, 't', limit, limit + 7),
      ]);
      expect(fromA + fromB).toBe(limit);
    },
  );

  it.each([200, 1_000, 50_000])(
    'a limit of %i is never passed, and at most one lease per instance goes unserved',
    async (limit) => {
      const shared = new MemoryWindowCounter();
      const instances = [0, 1, 2].map(() => new TokenBudget(shared, WINDOW_MS));
      // Round-robin, as a load balancer would spread one token's calls.
      let servedTotal = 0;
      for (let i = 0; i < limit * 2; i++) {
        if ((await instances[i % 3].spend('t', limit)) === null) servedTotal += 1;
      }
      expect(servedTotal).toBeLessThanOrEqual(limit);
      expect(servedTotal).toBeGreaterThanOrEqual(limit - 3 * leaseSize(limit));
    },
  );

  it('a large limit costs one round trip per lease, and concurrent requests share a refill', async () => {
    const counter = new CountingCounter();
    const sut = new TokenBudget(counter, WINDOW_MS);
    expect(await served(sut, 't', 100_000, 2_500)).toBe(2_500);
    expect(counter.calls).toBe(3); // leases of 1,000
  });

  it('a small limit asks the counter per request until the window is spent, then not at all', async () => {
    const counter = new CountingCounter();
    const sut = new TokenBudget(counter, WINDOW_MS);
    for (let i = 0; i < 5; i++) expect(await sut.spend('t', 5)).toBeNull();
    expect(counter.calls).toBe(5);
    const refused = await sut.spend('t', 5);
    expect(refused).toBeGreaterThan(WINDOW_MS - 5_000);
    expect(refused).toBeLessThanOrEqual(WINDOW_MS);
    await sut.spend('t', 5);
    expect(counter.calls).toBe(5);
  });

  it('refuses with the time left in the window, and serves again once it ends', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const sut = new TokenBudget(new MemoryWindowCounter(), WINDOW_MS);
    expect(await served(sut, 't', 300, 300)).toBe(300);
    jest.setSystemTime(1_000_000 + 45_000);
    expect(await sut.spend('t', 300)).toBe(15_000);
    jest.setSystemTime(1_000_000 + WINDOW_MS);
    expect(await served(sut, 't', 300, 300)).toBe(300);
    expect(await sut.spend('t', 300)).toBe(WINDOW_MS);
  });

  it('keys are separate budgets', async () => {
    const sut = new TokenBudget(new MemoryWindowCounter(), WINDOW_MS);
    expect(await served(sut, 'a', 3, 5)).toBe(3);
    expect(await served(sut, 'b', 3, 5)).toBe(3);
  });

  it('lets requests through while the counter cannot answer (a limit is a defence, not the contract)', async () => {
    const silent: WindowCounter = { addToWindow: () => Promise.resolve({ total: 0, ttlMs: 0 }) };
    const sut = new TokenBudget(silent, WINDOW_MS);
    expect(await served(sut, 'small', 2, 10)).toBe(10);
    expect(await served(sut, 'large', 1_000, 10)).toBe(10);
  });
});

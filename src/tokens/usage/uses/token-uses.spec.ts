import fc from 'fast-check';
import {
  blockOf,
  cappedUses,
  nextRefillAt,
  refillIssues,
  remainingAt,
  type RequestedUses,
  secondsToRefill,
  usesPeriodOf,
  type UsesState,
} from './token-uses';

const AT = Date.UTC(2030, 0, 31, 18, 0, 0);
const DAY = usesPeriodOf('daily', AT);
const MONTH = usesPeriodOf('monthly', AT);
const daily = (remaining: number, limit = 10, amount = 10): UsesState => ({
  limit,
  remaining,
  period: DAY,
  refill: { interval: 'daily', amount },
});
const once = (remaining: number, limit = 10): UsesState => ({
  limit,
  remaining,
  period: 0,
  refill: null,
});

describe('token uses', () => {
  it('numbers UTC days and months, and finds the next refill', () => {
    expect(usesPeriodOf(null, AT)).toBe(0);
    expect(usesPeriodOf('daily', Date.UTC(2030, 1, 1))).toBe(DAY + 1);
    expect(usesPeriodOf('monthly', Date.UTC(2030, 1, 1))).toBe(MONTH + 1);
    expect(nextRefillAt('daily', AT)).toBe(Date.UTC(2030, 1, 1));
    expect(nextRefillAt('monthly', Date.UTC(2030, 11, 15))).toBe(Date.UTC(2031, 0, 1));
    expect(secondsToRefill(daily(0), AT)).toBe(6 * 3600);
    expect(secondsToRefill(daily(0), Date.UTC(2030, 1, 1) - 1)).toBe(1);
    expect(secondsToRefill(once(0), AT)).toBeNull();
  });

  it('counts a due refill as made, to its amount and never above the limit', () => {
    expect(remainingAt(daily(0, 10, 4), AT)).toBe(0);
    expect(remainingAt(daily(0, 10, 4), Date.UTC(2030, 1, 1))).toBe(4);
    expect(remainingAt(daily(9, 10, 4), Date.UTC(2030, 1, 1))).toBe(4);
    expect(remainingAt({ ...daily(7, 10, 8), limit: 3 }, Date.UTC(2030, 1, 1))).toBe(3);
    expect(remainingAt(once(7, 5), Date.UTC(2040, 0, 1))).toBe(5);
  });

  type Row = [string, RequestedUses, UsesState | null, object | null];
  /** What a new token gets from what was asked and its base (a successor's predecessor). */
  const TABLE: Row[] = [
    ['nothing asked, no base', {}, null, null],
    ['a limit asked', { uses_limit: 5 }, null, { limit: 5, remaining: 5, period: 0 }],
    ['a successor takes what is left', {}, once(4), { limit: 10, remaining: 4, refill: null }],
    [
      'a successor takes a refill that is due',
      {},
      { ...daily(0, 10, 4), period: DAY - 1 },
      { limit: 10, remaining: 4, period: DAY },
    ],
    ['a limit asked replaces the base’s', { uses_limit: 2 }, once(4), { limit: 2, remaining: 2 }],
    [
      'a refill asked replaces the base’s, and counts in its period',
      { refill: { interval: 'monthly', amount: 3 } },
      daily(4),
      { remaining: 4, refill: { interval: 'monthly', amount: 3 }, period: MONTH },
    ],
    [
      'a refill asked with no limit anywhere is none',
      { refill: { interval: 'daily', amount: 1 } },
      null,
      null,
    ],
  ];

  it.each(TABLE)('%s', (_name, requested, base, expected) => {
    const uses = cappedUses(requested, base, AT);
    if (expected === null) expect(uses).toBeNull();
    else expect(uses).toMatchObject(expected);
  });

  it('refuses a refill with no limit, or above it', () => {
    const refill = { interval: 'daily' as const, amount: 6 };
    expect(refillIssues({ refill }, null).map((i) => i.loc)).toEqual([['body', 'refill']]);
    expect(refillIssues({ uses_limit: 5, refill }, null).map((i) => i.loc)).toEqual([
      ['body', 'refill', 'amount'],
    ]);
    expect(refillIssues({ refill }, once(3, 6))).toEqual([]);
  });

  it.each([
    [1, 1],
    [3, 1],
    [199, 1],
    [200, 2],
    [1_000, 10],
    [9_999, 99],
    [10_000, 100],
    [1_000_000_000, 100],
  ])('takes ahead, with %i left, a block of %i: 1 %% of it, from 1 to 100', (left, block) => {
    expect(blockOf(left)).toBe(block);
  });

  it('never takes ahead more than is left, and one at a time below 200 (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000_000 }), (left) => {
        const block = blockOf(left);
        expect(block).toBeGreaterThanOrEqual(1);
        expect(block).toBeLessThanOrEqual(Math.min(left, 100));
        expect(block * 100).toBeLessThanOrEqual(Math.max(left, 100));
      }),
      { seed: 39 },
    );
  });
});

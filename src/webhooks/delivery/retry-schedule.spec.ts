import fc from 'fast-check';
import { DEFAULT_RETRY_SCHEDULE, nextDelayMs, parseRetrySchedule } from './retry-schedule';

describe(parseRetrySchedule.name, () => {
  const sut = parseRetrySchedule;

  it('reads the default schedule', () => {
    expect(sut(DEFAULT_RETRY_SCHEDULE)).toEqual([
      5000, 300000, 1800000, 7200000, 18000000, 36000000, 36000000,
    ]);
  });

  it('takes every unit, and spaces around items', () => {
    expect(sut('250ms, 2s ,1m,1h , 1d')).toEqual([250, 2000, 60000, 3600000, 86400000]);
    expect(sut('0s')).toEqual([0]);
    expect(sut('7d')).toEqual([7 * 86400000]);
  });

  it.each([
    ['', '""'],
    ['5x', '"5x"'],
    ['-5s', '"-5s"'],
    ['5', '"5"'],
    ['s', '"s"'],
    ['5s,,5m', '""'],
    ['5s,', '""'],
    ['1.5s', '"1.5s"'],
    ['5 s', '"5 s"'],
    ['5S', '"5S"'],
    ['0x10s', '"0x10s"'],
    ['1e3s', '"1e3s"'],
  ])('refuses %j, naming the item %s', (text, shown) => {
    expect(() => sut(text)).toThrow(`retry schedule item ${shown} is not a whole number`);
  });

  it('refuses a delay longer than a week, naming it', () => {
    expect(() => sut('5s,8d')).toThrow('retry schedule item "8d" is longer than 7d');
    expect(() => sut('99999999999999999999999h')).toThrow('is longer than 7d');
  });
});

describe(nextDelayMs.name, () => {
  const sut = nextDelayMs;
  const schedule = parseRetrySchedule(DEFAULT_RETRY_SCHEDULE);

  it('takes the delay for the attempts made so far', () => {
    expect(sut(schedule, 1, null, () => 0.5)).toBe(5000);
    expect(sut(schedule, 2, null, () => 0.5)).toBe(300000);
    expect(sut(schedule, 7, null, () => 0.5)).toBe(36000000);
  });

  it('jitters by at most 20% either way', () => {
    expect(sut(schedule, 1, null, () => 0)).toBe(4000);
    expect(sut(schedule, 1, null, () => 0.999999)).toBe(6000);
    expect(sut(schedule, 3, null, () => 0)).toBe(1440000);
    expect(sut(schedule, 3, null, () => 0.999999)).toBe(2159999);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: schedule.length }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const delay = sut(schedule, attempt, null, () => r)!;
          const base = schedule[attempt - 1];
          expect(delay).toBeGreaterThanOrEqual(Math.round(base * 0.8));
          expect(delay).toBeLessThanOrEqual(Math.round(base * 1.2));
        },
      ),
      { seed: 5150, numRuns: 500 },
    );
  });

  it('never answers below zero', () => {
    expect(sut([0], 1, null, () => 0)).toBe(0);
    expect(sut([0], 1, null, () => 0.999999)).toBe(0);
  });

  it('waits for a Retry-After longer than the scheduled delay', () => {
    expect(sut(schedule, 1, 60, () => 0.999999)).toBe(60000);
  });

  it('keeps the scheduled delay when Retry-After is shorter', () => {
    expect(sut(schedule, 2, 7, () => 0)).toBe(240000);
    expect(sut(schedule, 1, 0, () => 0)).toBe(4000);
  });

  it('caps Retry-After at 24 hours', () => {
    expect(sut([1000], 1, 10 * 86400, () => 0.5)).toBe(86400000);
    expect(sut([1000], 1, Number.POSITIVE_INFINITY, () => 0.5)).toBe(86400000);
  });

  it('ignores a Retry-After that is not a positive number', () => {
    expect(sut([1000], 1, -50, () => 0.5)).toBe(1000);
    expect(sut([1000], 1, Number.NaN, () => 0.5)).toBe(1000);
  });

  it('answers null once the schedule is spent, whatever Retry-After says', () => {
    expect(sut(schedule, schedule.length + 1, null)).toBeNull();
    expect(sut(schedule, 100, 5)).toBeNull();
    expect(sut([], 1, null)).toBeNull();
  });

  it('refuses an attempt number below 1 or not whole', () => {
    expect(() => sut(schedule, 0, null)).toThrow(RangeError);
    expect(() => sut(schedule, 1.5, null)).toThrow(RangeError);
  });

  it('draws from Math.random by default and stays within the jitter', () => {
    for (let i = 0; i < 100; i++) {
      const delay = sut([10000], 1, null)!;
      expect(delay).toBeGreaterThanOrEqual(8000);
      expect(delay).toBeLessThanOrEqual(12000);
    }
  });
});

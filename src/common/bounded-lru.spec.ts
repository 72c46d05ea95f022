import fc from 'fast-check';
import { LRUCache } from 'lru-cache';
import { BoundedLru } from './bounded-lru';

describe(BoundedLru.name, () => {
  it('drops the least recently used past its bound, a get counting as a use', () => {
    const sut = new BoundedLru<string, number>(2);
    sut.set('a', 1).set('b', 2);
    expect(sut.get('a')).toBe(1);
    sut.set('c', 3);
    expect([sut.has('a'), sut.has('b'), sut.has('c')]).toEqual([true, false, true]);
    expect(sut.size).toBe(2);
  });

  it('refuses a bound that keeps nothing', () => {
    expect(() => new BoundedLru(0)).toThrow(RangeError);
    expect(() => new BoundedLru(1.5)).toThrow(RangeError);
  });

  // The caches it replaces were lru-cache's: any sequence of calls answers as lru-cache does.
  it('answers every sequence of get, set, has and delete as lru-cache does', () => {
    const op = fc.tuple(
      fc.constantFrom('get', 'set', 'has', 'delete'),
      fc.integer({ min: 0, max: 9 }),
      fc.integer({ min: 1, max: 1000 }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
        const sut = new BoundedLru<number, number>(max);
        const reference = new LRUCache<number, number>({ max });
        for (const [name, key, value] of ops) {
          const got =
            name === 'set'
              ? (sut.set(key, value), reference.set(key, value), null)
              : [sut[name](key), reference[name](key)];
          if (got && got[0] !== got[1]) return false;
          if (sut.size !== reference.size) return false;
        }
        return [...reference.keys()].reverse().every((k) => sut.has(k));
      }),
      { seed: 20261126, numRuns: 500 },
    );
  });
});

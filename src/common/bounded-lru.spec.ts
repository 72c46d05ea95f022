import { boundedLru } from './bounded-lru';

describe(boundedLru.name, () => {
  it('holds at most its entries, pushing out the least recently used', () => {
    const disposed: string[] = [];
    const sut = boundedLru<string, number>(3, { dispose: (_v, key) => disposed.push(key) });
    for (const key of ['a', 'b', 'c']) sut.set(key, 1);
    sut.get('a');
    sut.set('d', 1);
    expect([...sut.keys()].sort()).toEqual(['a', 'c', 'd']);
    expect(disposed).toEqual(['b']);
    for (let i = 0; i < 1000; i++) sut.set(`k${i}`, i);
    expect(sut.size).toBe(3);
  });

  it('keeps the options it is given, an entry time to live among them', () => {
    let now = 1000;
    const sut = boundedLru<string, true>(10, {
      ttl: 100,
      ttlResolution: 0,
      perf: { now: () => now },
    });
    sut.set('a', true);
    now = 1100;
    expect(sut.has('a')).toBe(true);
    now = 1101;
    expect(sut.has('a')).toBe(false);
  });
});

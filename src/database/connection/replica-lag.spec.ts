import { lsnOf, PrimaryPositions } from './replica-lag';

describe(PrimaryPositions.name, () => {
  it('reads WAL positions so that they order as PostgreSQL orders them', () => {
    expect(lsnOf('0/3001110')).toBe(0x3001110n);
    expect(lsnOf('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(lsnOf('1/0') > lsnOf('0/FFFFFFFF')).toBe(true);
    expect(() => lsnOf('3001110')).toThrow(/not a WAL position/);
  });

  it('places a replay position at the latest sample it has reached; an idle replica is current', () => {
    const sut = new PrimaryPositions(10_000);
    sut.add(1000, 100n);
    sut.add(1250, 100n); // nothing written: the primary stands still
    sut.add(1500, 180n);
    expect(sut.caughtUpTo(100n)).toBe(1250);
    expect(sut.caughtUpTo(179n)).toBe(1250);
    expect(sut.caughtUpTo(180n)).toBe(1500);
    expect(sut.caughtUpTo(500n)).toBe(1500);
    expect(sut.caughtUpTo(99n)).toBe(-Infinity);
  });

  it('forgets samples older than it keeps, but always the latest', () => {
    const sut = new PrimaryPositions(1000);
    sut.add(0, 10n);
    sut.add(900, 20n);
    sut.add(2000, 30n);
    expect(sut.caughtUpTo(10n)).toBe(-Infinity); // further behind than kept: just behind
    expect(sut.caughtUpTo(20n)).toBe(-Infinity);
    expect(sut.caughtUpTo(30n)).toBe(2000);
    sut.add(10_000, 30n);
    expect({ latest: sut.latest, at: sut.caughtUpTo(30n) }).toEqual({ latest: 10_000, at: 10_000 });
  });
});

import fc from 'fast-check';
import { DueMessage, PER_FAILING_ENDPOINT, SendSlots, SlotLimits } from './send-slots';

const LIMITS: SlotLimits = { slots: 64, perEndpoint: 4, perChain: 32 };
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** `count` due messages of one endpoint, the first due `at` seconds after T0, a second apart. */
function messages(
  chainId: string,
  endpointId: string,
  count: number,
  at = 0,
  failing = false,
): DueMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${endpointId}-${String(i).padStart(4, '0')}`,
    endpointId,
    chainId,
    nextAttemptAt: new Date(T0 + (at + i) * 1000),
    failing,
  }));
}

/** The hostile neighbour: D's 20 endpoints with 100 old messages each, and B's fresh one. */
const hostile = () => [
  ...Array.from({ length: 20 }, (_, e) => messages('D', `d${e}`, 100)).flat(),
  ...messages('B', 'b0', 1, 10_000),
];

const countBy = (picked: DueMessage[], key: 'chainId' | 'endpointId') =>
  picked.reduce((m, p) => m.set(p[key], (m.get(p[key]) ?? 0) + 1), new Map<string, number>());

describe(SendSlots.name, () => {
  it("gives a business's fresh message the second slot, behind a neighbour's 2,000 older ones", () => {
    const sut = new SendSlots(LIMITS);
    const picked = sut.pick(hostile());
    expect(picked.map((p) => p.chainId).slice(0, 2)).toEqual(['D', 'B']);
    expect(countBy(picked, 'chainId')).toEqual(
      new Map([
        ['D', 32],
        ['B', 1],
      ]),
    );
  });

  it('still has a slot for the fresh message while the neighbour holds all it may', () => {
    const sut = new SendSlots(LIMITS);
    for (const p of sut.pick(hostile().filter((m) => m.chainId === 'D'))) sut.take(p);
    expect(sut.inFlight).toBe(32);
    const picked = sut.pick(hostile());
    expect(picked.map((p) => p.id)).toEqual(['b0-0000']);
  });

  // [what, limits, messages, in flight before, ids expected]
  it.each<[string, SlotLimits, DueMessage[], DueMessage[], string[]]>([
    [
      'an endpoint gets its oldest first, up to its cap',
      LIMITS,
      messages('A', 'a', 6).reverse(),
      [],
      ['a-0000', 'a-0001', 'a-0002', 'a-0003'],
    ],
    [
      'sends in flight count against the cap',
      LIMITS,
      messages('A', 'a', 6),
      messages('A', 'a', 3),
      ['a-0000'],
    ],
    [
      'a failing endpoint gets one send at a time',
      LIMITS,
      messages('A', 'a', 6, 0, true),
      [],
      ['a-0000'],
    ],
    [
      'a failing endpoint with a send in flight gets none',
      LIMITS,
      messages('A', 'a', 6, 0, true),
      messages('A', 'a', 1),
      [],
    ],
    [
      'endpoints of one chain take turns, each its oldest first',
      LIMITS,
      [...messages('A', 'a', 2), ...messages('A', 'b', 2, 10)],
      [],
      ['a-0000', 'b-0000', 'a-0001', 'b-0001'],
    ],
    [
      'chains take turns, the one waiting longest first',
      LIMITS,
      [...messages('A', 'a', 3, 5), ...messages('B', 'b', 3)],
      [],
      ['b-0000', 'a-0000', 'b-0001', 'a-0001', 'b-0002', 'a-0002'],
    ],
    [
      'no more than the free slots',
      { slots: 3, perEndpoint: 4, perChain: 32 },
      [...messages('A', 'a', 3), ...messages('B', 'b', 3)],
      messages('C', 'c', 1),
      ['a-0000', 'b-0000'],
    ],
    [
      'no more than a chain may hold',
      { slots: 64, perEndpoint: 4, perChain: 3 },
      [...messages('A', 'a', 3), ...messages('A', 'b', 3), ...messages('B', 'c', 3)],
      messages('A', 'x', 1),
      ['a-0000', 'c-0000', 'b-0000', 'c-0001', 'c-0002'],
    ],
    ['nothing due, nothing picked', LIMITS, [], [], []],
  ])('%s', (_what, limits, due, before, expected) => {
    const sut = new SendSlots(limits);
    for (const m of before) sut.take(m);
    expect(sut.pick(due).map((p) => p.id)).toEqual(expected);
  });

  it('names the endpoints at their cap, and frees a slot when a send ends', () => {
    const sut = new SendSlots(LIMITS);
    const full = messages('A', 'a', 4);
    for (const m of [...full, ...messages('A', 'b', 3)]) sut.take(m);
    expect(sut.fullEndpoints()).toEqual(['a']);
    expect([sut.inFlight, sut.free]).toEqual([7, 57]);
    sut.release(full[0]);
    expect(sut.fullEndpoints()).toEqual([]);
    expect([sut.inFlight, sut.free]).toEqual([6, 58]);
    expect(sut.pick(messages('A', 'a', 5, 100)).map((p) => p.id)).toEqual(['a-0000']);
  });

  const due = fc
    .array(
      fc.record({
        chain: fc.integer({ min: 0, max: 3 }),
        endpoint: fc.integer({ min: 0, max: 2 }),
        at: fc.integer({ min: 0, max: 50 }),
        failing: fc.boolean(),
      }),
      { maxLength: 60 },
    )
    .map((rows) => {
      // An endpoint belongs to one chain and is failing or not, whatever the row says.
      const failing = new Map<string, boolean>();
      return rows.map((r, i): DueMessage => {
        const endpointId = `c${r.chain}e${r.endpoint}`;
        if (!failing.has(endpointId)) failing.set(endpointId, r.failing);
        return {
          id: `m${String(i).padStart(3, '0')}`,
          endpointId,
          chainId: `c${r.chain}`,
          nextAttemptAt: new Date(T0 + r.at * 1000),
          failing: failing.get(endpointId)!,
        };
      });
    });
  const limits = fc.record({
    slots: fc.integer({ min: 1, max: 20 }),
    perEndpoint: fc.integer({ min: 1, max: 5 }),
    perChain: fc.integer({ min: 1, max: 10 }),
  });

  it('never passes a cap, takes what it may while slots are free, and shares them evenly', () => {
    fc.assert(
      fc.property(due, limits, fc.array(fc.nat(), { maxLength: 10 }), (all, lim, flying) => {
        const sut = new SendSlots(lim);
        // Some of the same endpoints' sends already in flight (within the slots).
        const inFlight = flying
          .slice(0, lim.slots)
          .flatMap((n) => (all.length ? [all[n % all.length]] : []));
        for (const m of inFlight) sut.take(m);
        const picked = sut.pick(all);
        const ids = picked.map((p) => p.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(picked.length).toBeLessThanOrEqual(lim.slots - inFlight.length);

        const held = (key: 'chainId' | 'endpointId', id: string, list: DueMessage[]) =>
          list.filter((m) => m[key] === id).length;
        const capOf = (m: DueMessage) => (m.failing ? PER_FAILING_ENDPOINT : lim.perEndpoint);
        const room = (m: DueMessage) =>
          Math.min(
            capOf(m) - held('endpointId', m.endpointId, [...inFlight, ...picked]),
            lim.perChain - held('chainId', m.chainId, [...inFlight, ...picked]),
          );
        for (const p of picked) {
          expect(held('endpointId', p.endpointId, [...inFlight, ...picked])).toBeLessThanOrEqual(
            Math.max(capOf(p), held('endpointId', p.endpointId, inFlight)),
          );
          expect(held('chainId', p.chainId, [...inFlight, ...picked])).toBeLessThanOrEqual(
            Math.max(lim.perChain, held('chainId', p.chainId, inFlight)),
          );
        }
        // Each endpoint's picks are its oldest due messages.
        for (const endpoint of new Set(picked.map((p) => p.endpointId))) {
          const mine = all
            .filter((m) => m.endpointId === endpoint)
            .sort(
              (a, b) =>
                a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || (a.id < b.id ? -1 : 1),
            );
          const got = picked.filter((p) => p.endpointId === endpoint).map((p) => p.id);
          expect(got).toEqual(mine.slice(0, got.length).map((m) => m.id));
        }
        // Nothing left that could still go while a slot is free.
        const left = all.filter((m) => !ids.includes(m.id));
        if (inFlight.length + picked.length < lim.slots) {
          expect(left.filter((m) => room(m) > 0)).toEqual([]);
        }
        // A chain with more picks than another by two or more left that one nothing it could take.
        const perChain = countBy(picked, 'chainId');
        for (const n of perChain.values()) {
          for (const other of new Set(all.map((m) => m.chainId))) {
            if (n >= (perChain.get(other) ?? 0) + 2) {
              expect(left.filter((m) => m.chainId === other && room(m) > 0)).toEqual([]);
            }
          }
        }
      }),
      { seed: 35, numRuns: 300 },
    );
  });
});

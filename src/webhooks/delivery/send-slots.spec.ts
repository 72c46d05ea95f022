import fc from 'fast-check';
import { DueMessage, PER_FAILING_ENDPOINT, SendSlots, SlotLimits } from './send-slots';

const LIMITS: SlotLimits = { slots: 64, perEndpoint: 4, perChain: 32, queuePerEndpoint: 0 };
const QUEUED: SlotLimits = { ...LIMITS, queuePerEndpoint: 8 };
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

/** The ids `messages` gives an endpoint's messages `from` to `to` (not included). */
const ids = (endpointId: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${endpointId}-${String(from + i).padStart(4, '0')}`);

/** The hostile neighbour: D's 20 endpoints with 100 old messages each, and B's fresh one. */
const hostile = () => [
  ...Array.from({ length: 20 }, (_, e) => messages('D', `d${e}`, 100)).flat(),
  ...messages('B', 'b0', 1, 10_000),
];

const countBy = (picked: DueMessage[], key: 'chainId' | 'endpointId') =>
  picked.reduce((m, p) => m.set(p[key], (m.get(p[key]) ?? 0) + 1), new Map<string, number>());

describe(SendSlots.name, () => {
  it("gives a business's fresh message the second slot, behind a neighbour's 2,000 older ones", () => {
    const sut = new SendSlots<DueMessage>(LIMITS);
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
    const sut = new SendSlots<DueMessage>(LIMITS);
    for (const p of sut.pick(hostile().filter((m) => m.chainId === 'D'))) sut.take(p, false);
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
      { ...LIMITS, slots: 3 },
      [...messages('A', 'a', 3), ...messages('B', 'b', 3)],
      messages('C', 'c', 1),
      ['a-0000', 'b-0000'],
    ],
    [
      'no more than a chain may hold',
      { ...LIMITS, perChain: 3 },
      [...messages('A', 'a', 3), ...messages('A', 'b', 3), ...messages('B', 'c', 3)],
      messages('A', 'x', 1),
      ['a-0000', 'c-0000', 'b-0000', 'c-0001', 'c-0002'],
    ],
    ['nothing due, nothing picked', LIMITS, [], [], []],
    [
      'an endpoint whose sends are all in flight gets more, to wait for them',
      QUEUED,
      messages('A', 'a', 20),
      messages('A', 'a', 4, 100),
      ids('a', 0, 8),
    ],
    [
      'an endpoint with room sends first, then has more wait behind its own sends',
      QUEUED,
      messages('A', 'a', 20),
      messages('A', 'a', 1, 100),
      ids('a', 0, 11),
    ],
    [
      'a failing endpoint gets nothing to wait',
      QUEUED,
      messages('A', 'a', 6, 0, true),
      [],
      ['a-0000'],
    ],
    [
      'nothing waits for an endpoint short of free slots, not of its own',
      { ...QUEUED, slots: 2 },
      messages('A', 'a', 6),
      messages('C', 'c', 1, 100),
      ['a-0000'],
    ],
    [
      'what waits takes no slot of another endpoint',
      { ...QUEUED, slots: 5 },
      [...messages('A', 'a', 20), ...messages('B', 'b', 1, 50)],
      messages('A', 'a', 4, 100),
      ['b-0000', ...ids('a', 0, 8)],
    ],
  ])('%s', (_what, limits, due, before, expected) => {
    const sut = new SendSlots<DueMessage>(limits);
    // Sends already in flight: other messages of the same endpoints.
    for (const m of before) sut.take({ ...m, id: `flying-${m.id}` }, m.failing);
    expect(sut.pick(due).map((p) => p.id)).toEqual(expected);
  });

  it('names the endpoints at their cap, and frees a slot when a send ends', () => {
    const sut = new SendSlots<DueMessage>(LIMITS);
    const full = messages('A', 'a', 4);
    for (const m of [...full, ...messages('A', 'b', 3)]) expect(sut.take(m, false)).toBe('now');
    expect(sut.fullEndpoints()).toEqual(['a']);
    expect([sut.inFlight, sut.free]).toEqual([7, 57]);
    expect(sut.release(full[0])).toBeNull();
    expect(sut.fullEndpoints()).toEqual([]);
    expect([sut.inFlight, sut.free]).toEqual([6, 58]);
    expect(sut.pick(messages('A', 'a', 5, 100)).map((p) => p.id)).toEqual(['a-0000']);
  });

  it("queues behind an endpoint's own sends, and hands each ended send's slot to the next", () => {
    const sut = new SendSlots<DueMessage>(QUEUED);
    const a = messages('A', 'a', 6);
    expect(a.map((m) => sut.take(m, false))).toEqual(['now', 'now', 'now', 'now', 'wait', 'wait']);
    expect([sut.inFlight, sut.waiting, sut.waitingFor('a')]).toEqual([4, 2, 2]);
    expect(sut.release(a[0])?.id).toBe('a-0004');
    expect([sut.inFlight, sut.waiting]).toEqual([4, 1]);
    expect(sut.endpointsWaiting()).toEqual(['a']);
    // The endpoint failed: what waits is taken back, and its slots go as its sends end.
    expect(sut.takeBack('a').map((m) => m.id)).toEqual(['a-0005']);
    expect(sut.release(a[1])).toBeNull();
    expect([sut.inFlight, sut.waiting]).toEqual([3, 0]);
    expect(sut.endpointsWaiting()).toEqual([]);
    for (const m of messages('A', 'a', 9, 100)) sut.take(m, false);
    expect(sut.fullEndpoints()).toEqual(['a']);
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
    queuePerEndpoint: fc.integer({ min: 0, max: 6 }),
  });

  it('never passes a cap, takes what it may, queues only behind full endpoints, and shares evenly', () => {
    fc.assert(
      fc.property(due, limits, fc.array(fc.nat(), { maxLength: 12 }), (all, lim, flying) => {
        const sut = new SendSlots<DueMessage>(lim);
        const capOf = (m: { failing: boolean }) =>
          m.failing ? PER_FAILING_ENDPOINT : lim.perEndpoint;
        const sending = new Map<string, number>();
        const waiting = new Map<string, number>();
        const chains = new Map<string, number>();
        const add = (map: Map<string, number>, key: string) =>
          map.set(key, (map.get(key) ?? 0) + 1);
        const take = (m: DueMessage, id = m.id) => {
          const start = sut.take({ ...m, id }, m.failing);
          if (start === 'now') {
            add(sending, m.endpointId);
            add(chains, m.chainId);
          } else {
            add(waiting, m.endpointId);
          }
          return start;
        };
        // Messages of the same endpoints taken before (sent or waiting), within the slots.
        for (const [i, n] of flying.entries()) {
          if (all.length === 0 || sut.inFlight >= lim.slots) break;
          take(all[n % all.length], `flying-${i}`);
        }
        const before = { sending: new Map(sending), chains: new Map(chains), free: sut.free };

        const picked = sut.pick(all);
        const ids = picked.map((p) => p.id);
        expect(new Set(ids).size).toBe(ids.length);
        const now = picked.filter((p) => take(p) === 'now');
        expect(now.length).toBeLessThanOrEqual(before.free);

        const get = (map: Map<string, number>, key: string) => map.get(key) ?? 0;
        for (const p of picked) {
          expect(get(sending, p.endpointId)).toBeLessThanOrEqual(
            Math.max(capOf(p), get(before.sending, p.endpointId)),
          );
          expect(get(chains, p.chainId)).toBeLessThanOrEqual(
            Math.max(lim.perChain, get(before.chains, p.chainId)),
          );
          // What waits, waits behind its own endpoint's sends, all in flight, never for a slot.
          if (get(waiting, p.endpointId) > 0) {
            expect(get(sending, p.endpointId)).toBeGreaterThanOrEqual(capOf(p));
          }
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
        const left = all.filter((m) => !ids.includes(m.id));
        const couldSend = (m: DueMessage) =>
          get(sending, m.endpointId) < capOf(m) &&
          get(waiting, m.endpointId) === 0 &&
          get(chains, m.chainId) < lim.perChain;
        // Nothing left that could still be sent while a slot is free.
        if (sut.free > 0) expect(left.filter(couldSend)).toEqual([]);
        // Nor left to wait behind a full endpoint with room in its queue.
        for (const m of left) {
          if (m.failing || get(sending, m.endpointId) < capOf(m)) continue;
          expect(get(waiting, m.endpointId)).toBeGreaterThanOrEqual(lim.queuePerEndpoint);
        }
        // A chain sent two or more than another only when that one had nothing it could send.
        const perChain = countBy(now, 'chainId');
        for (const n of perChain.values()) {
          for (const other of new Set(all.map((m) => m.chainId))) {
            if (n >= (perChain.get(other) ?? 0) + 2) {
              expect(left.filter((m) => m.chainId === other && couldSend(m))).toEqual([]);
            }
          }
        }
      }),
      { seed: 35, numRuns: 300 },
    );
  });
});

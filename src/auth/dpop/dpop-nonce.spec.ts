import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { DPOP_NONCE_BUCKET_MS, DpopNonces } from './dpop-nonce';

const BUCKET = DPOP_NONCE_BUCKET_MS;
/** The start of some bucket, and the key material two instances of one installation share. */
const T0 = Math.floor(Date.parse('2026-03-01T12:00:00.000Z') / BUCKET) * BUCKET;
const SHARED = randomBytes(32);
const derived = (material: Buffer) => () =>
  Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'latchkey dpop nonce v1', 32));

function instance(at: number, material = SHARED): DpopNonces {
  const sut = new DpopNonces(derived(material));
  sut.clock = () => at;
  return sut;
}

describe(DpopNonces.name, () => {
  it('issues one base64url nonce per bucket, the same on every instance that shares the key', () => {
    const nonce = instance(T0).issue();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(instance(T0 + BUCKET - 1).issue()).toBe(nonce);
    expect(instance(T0 + 5_000).accepts(nonce)).toBe(true);
    expect(instance(T0 + BUCKET).issue()).not.toBe(nonce);
  });

  it('accepts a nonce in its bucket and the next, and refuses it after', () => {
    const nonce = instance(T0 + 59_999).issue();
    expect(instance(T0).accepts(nonce)).toBe(true);
    expect(instance(T0 + BUCKET).accepts(nonce)).toBe(true);
    expect(instance(T0 + 2 * BUCKET - 1).accepts(nonce)).toBe(true);
    expect(instance(T0 + 2 * BUCKET).accepts(nonce)).toBe(false);
    expect(instance(T0 + 10 * BUCKET).accepts(nonce)).toBe(false);
  });

  it('refuses a nonce of a bucket still to come: one the server has not issued yet', () => {
    const ahead = instance(T0 + BUCKET).issue();
    expect(instance(T0).accepts(ahead)).toBe(false);
  });

  it("refuses another installation's nonce, and one made with the key but not the recipe", () => {
    expect(instance(T0).accepts(instance(T0, randomBytes(32)).issue())).toBe(false);
    const key = derived(SHARED)();
    const bucket = T0 / BUCKET;
    const otherText = createHmac('sha256', key).update(String(bucket)).digest('base64url');
    expect(instance(T0).accepts(otherText)).toBe(false);
  });

  it('follows a clock that moves, on the same instance', () => {
    let now = T0;
    const sut = new DpopNonces(derived(SHARED));
    sut.clock = () => now;
    const first = sut.issue();
    now += BUCKET;
    expect(sut.accepts(first)).toBe(true);
    const second = sut.issue();
    expect(second).not.toBe(first);
    now += BUCKET;
    expect(sut.accepts(first)).toBe(false);
    expect(sut.accepts(second)).toBe(true);
  });

  it('never throws, and accepts nothing an attacker writes without the key (fast-check)', () => {
    const sut = instance(T0);
    const issued = sut.issue();
    const near = fc
      .tuple(fc.nat({ max: 42 }), fc.constantFrom(...'Aa0_-é\u0000'))
      .map(([i, c]) => `${issued.slice(0, i)}${c}${issued.slice(i + 1)}`)
      .filter((text) => text !== issued);
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), near), (value) => !sut.accepts(value)),
      { seed: 9449, numRuns: 500 },
    );
  });
});

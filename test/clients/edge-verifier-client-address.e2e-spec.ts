import fc from 'fast-check';
import { propertyParams, text } from '../audit/hostile-text';
import { EdgeVerifier } from '../../packages/client/src/verifier';
import { useEdgeVerifier } from './edge-verifier-fixtures';

/**
 * The EdgeVerifier forwarding the address of the caller who presented a token (clientAddress, as
 * X-Forwarded-For), so Latchkey matches a networks token against that caller, not the service.
 */
describe(EdgeVerifier.name, () => {
  const t = useEdgeVerifier();

  describe('the address of the caller who presented the token (clientAddress)', () => {
    /** The service's own address (the fake's peer) lies in the networks, as in a stolen-token case. */
    const NETWORKS = ['127.0.0.1/32', '203.0.113.0/24', '2001:db8::/32'];
    const INSIDE = '203.0.113.7';
    const OUTSIDE = '198.51.100.9';
    const PASSES = { valid: true, source: 'online' };
    const REFUSED = { valid: false, reason: 'forbidden', status: 403, code: 'IP_NOT_ALLOWED' };

    // Latchkey's TRUST_PROXY names the service (127.0.0.1), as docs/edge.md asks.
    beforeEach(() => (t.latchkey.trustProxy = ['127.0.0.1']));

    /** Each address a caller may present a networks token from, and whether it passes. */
    const ADDRESSES: [string, string | undefined, boolean][] = [
      ['inside, IPv4', INSIDE, true],
      ['inside, IPv6', '2001:db8::5', true],
      ['inside, IPv4-mapped IPv6 (as a Node socket names it)', `::ffff:${INSIDE}`, true],
      ['outside, IPv4', OUTSIDE, false],
      ['outside, IPv6', '2001:db9::5', false],
      ['outside, IPv4-mapped IPv6', `::ffff:${OUTSIDE}`, false],
      ['outside, ::1 (127.0.0.1, the service, is inside; ::1 is not)', '::1', false],
      ['not given: matched against the service itself', undefined, true],
    ];

    it.each(ADDRESSES)(
      'a networks token presented from %s: its first check and every later one',
      async (_name, clientAddress, passes) => {
        const [token] = t.latchkey.issue({ allowedCidrs: NETWORKS });
        const [known] = t.latchkey.issue({ allowedCidrs: NETWORKS });
        await t.sut.verify(known, { clientAddress: INSIDE });

        for (const presented of [token, known, known]) {
          expect(await t.sut.verify(presented, { clientAddress })).toEqual(
            passes ? expect.objectContaining(PASSES) : REFUSED,
          );
          expect(t.latchkey.lastVerify['x-forwarded-for']).toBe(clientAddress);
        }
        expect(t.sut.checkCached(known, { clientAddress })).toBeUndefined();
        expect(t.latchkey.calls).toMatchObject({ verify: 4, list: 0 });
      },
    );

    it('sends each check its own address, never one an earlier check gave', async () => {
      const [token] = t.latchkey.issue({ allowedCidrs: NETWORKS });
      const order = [INSIDE, OUTSIDE, INSIDE, OUTSIDE, undefined, OUTSIDE];

      const results = [];
      for (const clientAddress of order) results.push(await t.sut.verify(token, { clientAddress }));

      expect(results.map((r) => r.valid)).toEqual([true, false, true, false, true, false]);
      expect(t.latchkey.forwardedFor).toEqual(order);
    });

    it('never shares a call among checks from different addresses, seen or not', async () => {
      const [token] = t.latchkey.issue({ allowedCidrs: NETWORKS });
      const check = (clientAddress: string) => t.sut.verify(token, { clientAddress });

      // Not seen yet: the refusal of one address is not the other's answer.
      const first = await Promise.all([check(OUTSIDE), check(INSIDE)]);
      expect(first).toEqual([REFUSED, expect.objectContaining(PASSES)]);
      expect(t.latchkey.calls.verify).toBe(2);

      const then = await Promise.all([
        check(INSIDE),
        check(OUTSIDE),
        check(OUTSIDE),
        check(INSIDE),
      ]);
      expect(then.map((r) => r.valid)).toEqual([true, false, false, true]);
      expect(t.latchkey.calls.verify).toBe(6);
      expect([...t.latchkey.forwardedFor].sort()).toEqual(
        [INSIDE, INSIDE, INSIDE, OUTSIDE, OUTSIDE, OUTSIDE].sort(),
      );
    });

    it('shares the first call of a token without networks among checks from one address only', async () => {
      const [token] = t.latchkey.issue();
      const check = (clientAddress: string) => t.sut.verify(token, { clientAddress });

      const results = await Promise.all([
        check(INSIDE),
        check(OUTSIDE),
        check(INSIDE),
        check(OUTSIDE),
      ]);

      expect(results.every((r) => r.valid)).toBe(true);
      expect(t.latchkey.calls.verify).toBe(2);
      expect([...t.latchkey.forwardedFor].sort()).toEqual([INSIDE, OUTSIDE].sort());
    });

    it('answers a token its list decides whatever the address, with no call', async () => {
      const [token] = t.latchkey.issue();
      await t.sut.verify(token, { clientAddress: INSIDE });
      await t.sut.verify(token, { clientAddress: INSIDE });

      for (const clientAddress of [OUTSIDE, '2001:db9::5', undefined]) {
        expect(await t.sut.verify(token, { clientAddress })).toMatchObject({
          valid: true,
          source: 'list',
        });
        expect(t.sut.checkCached(token, { clientAddress })).toMatchObject({ valid: true });
      }
      expect(t.latchkey.calls.verify).toBe(1);
    });

    it('is matched against the service when Latchkey does not trust it as a proxy (TRUST_PROXY=false)', async () => {
      t.latchkey.trustProxy = null;
      const [token] = t.latchkey.issue({ allowedCidrs: NETWORKS });
      const [elsewhere] = t.latchkey.issue({ allowedCidrs: ['203.0.113.0/24'] });

      // Why TRUST_PROXY must name the service: the caller's address is not believed.
      expect(await t.sut.verify(token, { clientAddress: OUTSIDE })).toMatchObject(PASSES);
      expect(await t.sut.verify(elsewhere, { clientAddress: INSIDE })).toEqual(REFUSED);
    });

    it.each([
      ['1.2.3.4\r\nx: y'],
      ['not-an-ip'],
      [''],
      ['1.2.3.4, 10.0.0.1'],
      [' 1.2.3.4'],
      ['203.0.113.0/24'],
      ['[::1]'],
      ['::1\n'],
      [42 as unknown as string],
    ])(
      'throws on a clientAddress %j that is no address, and makes no call',
      async (clientAddress) => {
        const [token] = t.latchkey.issue({ allowedCidrs: NETWORKS });
        const [plain] = t.latchkey.issue();
        await t.sut.verify(token, { clientAddress: INSIDE });
        await t.sut.verify(plain);
        await t.sut.verify(plain);
        const calls = { ...t.latchkey.calls };

        for (const presented of [token, plain, t.latchkey.issue()[0]]) {
          await expect(t.sut.verify(presented, { clientAddress })).rejects.toThrow(TypeError);
        }
        expect(() => t.sut.checkCached(plain, { clientAddress })).toThrow(TypeError);
        expect(t.latchkey.calls).toEqual(calls);
      },
    );

    it('sends whatever it accepts as the one X-Forwarded-For value, unsplit (property)', async () => {
      const [token] = t.latchkey.issue({ allowedCidrs: NETWORKS });
      const candidate = fc.oneof(
        fc.ipV4(),
        fc.ipV6(),
        text(40),
        fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), text(8)).map(([ip, tail]) => ip + tail),
      );

      await fc.assert(
        fc.asyncProperty(candidate, async (clientAddress) => {
          const calls = t.latchkey.calls.verify;
          let threw: unknown = null;
          await t.sut.verify(token, { clientAddress }).catch((error: unknown) => (threw = error));
          if (threw !== null) {
            expect(threw).toBeInstanceOf(TypeError);
            expect(t.latchkey.calls.verify).toBe(calls);
            return;
          }
          expect(t.latchkey.calls.verify).toBe(calls + 1);
          expect(t.latchkey.lastVerify['x-forwarded-for']).toBe(clientAddress);
          expect(clientAddress).toMatch(/^[0-9A-Za-z.:%-]+$/);
        }),
        propertyParams<[string]>([
          ['1.2.3.4\r\nx: y'],
          ['1.2.3.4\nx-latchkey-business: y'],
          ['::1,10.0.0.1'],
          ['fe80::1%eth0'],
        ]),
      );
    });
  });
});

import fc from 'fast-check';
import {
  cappedConstraints,
  inheritedConstraints,
  UNCONSTRAINED,
  type TokenConstraints,
} from './token-constraints';
import { TokenError } from '../token-error';
import type { UsesState } from '../usage/uses/token-uses';

const uses = (limit: number, remaining = limit): UsesState => ({
  limit,
  remaining,
  period: 0,
  refill: null,
});

describe('token constraints', () => {
  const limitedMaker = (left: number): TokenConstraints => ({
    ...UNCONSTRAINED,
    uses: uses(10, left),
  });
  const codeOf = (make: () => unknown) => {
    try {
      make();
      return null;
    } catch (e) {
      return e instanceof TokenError ? e.code : String(e);
    }
  };

  it('refuses every making by a maker with a uses limit, whatever is asked (fast-check)', () => {
    const asked = fc.record(
      {
        uses_limit: fc.integer({ min: 1, max: 1000 }),
        rate_limit_per_minute: fc.option(fc.integer({ min: 1, max: 1000 })),
        allowed_cidrs: fc.option(fc.constant(['10.0.0.0/8']).map((c) => [...c])),
      },
      { requiredKeys: [] },
    );
    const base = fc.option(
      fc.integer({ min: 0, max: 10 }).map((n) => limitedMaker(n)),
      {
        nil: UNCONSTRAINED,
      },
    );
    fc.assert(
      fc.property(asked, base, fc.integer({ min: 0, max: 10 }), (requested, from, left) => {
        expect(codeOf(() => cappedConstraints(requested, from, limitedMaker(left)))).toBe(
          'MAKER_HAS_USES_LIMIT',
        );
      }),
      { seed: 50, numRuns: 200 },
    );
    expect(codeOf(() => inheritedConstraints(limitedMaker(3)))).toBe('MAKER_HAS_USES_LIMIT');
  });

  it('hands a successor its predecessor’s count when its maker has no uses limit', () => {
    const made = cappedConstraints({}, limitedMaker(3), UNCONSTRAINED);
    expect(made.uses).toMatchObject({ limit: 10, remaining: 3 });
    expect(cappedConstraints({ uses_limit: 2 }, UNCONSTRAINED, UNCONSTRAINED).uses).toMatchObject({
      limit: 2,
      remaining: 2,
    });
  });
});

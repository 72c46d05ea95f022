import fc from 'fast-check';
import { isConsoleClient } from './console-client';

describe(isConsoleClient.name, () => {
  it.each([
    ['console', true],
    ['Console', true],
    ['CONSOLE', true],
    [' console\t', true],
    ['swagger, Console', true],
    [['swagger', 'console'], true],
    [undefined, false],
    ['', false],
    ['swagger', false],
    ['console-ish', false],
    ['consoles', false],
    ['con sole', false],
    ['"console"', false],
  ])('reads %p as the console: %p', (value, expected) => {
    expect(isConsoleClient(value)).toBe(expected);
  });

  it('takes every casing of the word, with any optional whitespace around it, in any list', () => {
    const casing = fc
      .array(fc.boolean(), { minLength: 7, maxLength: 7 })
      .map((upper) => [...'console'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));
    const ows = fc.stringMatching(/^[ \t]{0,3}$/);
    const other = fc.stringMatching(/^[a-z-]{0,10}$/).filter((s) => s !== 'console');
    fc.assert(
      fc.property(
        casing,
        ows,
        ows,
        fc.array(other, { maxLength: 3 }),
        (word, before, after, rest) => {
          expect(isConsoleClient([...rest, `${before}${word}${after}`].join(','))).toBe(true);
        },
      ),
      { seed: 20261201, numRuns: 500 },
    );
  });
});

import fc from 'fast-check';
import { columnJsonString, csvCell, jsonString, oneLine } from './wire-text';

describe(csvCell.name, () => {
  it.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', `"'\tcmd"`],
    ['\r=1', `"'\r'=1"`],
    [' =1+2', "' =1+2"],
    ['x;=1+2', `"x;'=1+2"`],
    ['x\t=1+2', `"x\t'=1+2"`],
    ['{"a":[1,-2]}', `"{""a"":[1,'-2]}"`],
    ['a;b', '"a;b"'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['plain', 'plain'],
  ])('writes %j as %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('leaves no cell of a comma or semicolon split starting a formula, whatever the text', () => {
    const hostile = ['x;=1+2', 'a,@b', 'ua; -1', '"q";+1', 'tab\t=1', 'cr\r=1', 'lf\n=1'];
    for (const text of hostile) {
      const cell = csvCell(text);
      // Split as a reader that ignores quotes would: no piece starts a formula.
      for (const piece of cell.split(/[;,\t\r\n]/)) expect(piece).not.toMatch(/^ *[=+\-@]/);
    }
  });

  it('leaves numbers alone and writes null as an empty cell', () => {
    expect(csvCell(42)).toBe('42');
    expect(csvCell(null)).toBe('');
  });
});

describe(oneLine.name, () => {
  it('escapes what some readers split lines on, and nothing else', () => {
    expect(oneLine('{"a":"x\u2028y\u2029z\u0085"}\n')).toBe('{"a":"x\\u2028y\\u2029z\\u0085"}\n');
    expect(oneLine('{"a":"zoë 😀"}\n')).toBe('{"a":"zoë 😀"}\n');
  });
});

describe(jsonString.name, () => {
  it('writes any text as JSON.stringify does, through the column cache too', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string({ unit: 'binary' }), { nil: null })), (texts) => {
        for (const text of texts) {
          expect(jsonString(text)).toBe(JSON.stringify(text));
          expect(columnJsonString([0, text], 1)).toBe(JSON.stringify(text));
        }
      }),
      { seed: 1127, numRuns: 500 },
    );
  });
});

import { validateSync } from 'class-validator';
import { MaxBytes, parseDateTime, SingleLine } from './dto-fields';

describe(parseDateTime.name, () => {
  it.each([
    ['2027-02-28T12:00:00Z', '2027-02-28T12:00:00.000Z'],
    ['2028-02-29T00:00:00+02:00', '2028-02-28T22:00:00.000Z'],
    ['2027-01-01t00:00:00.123456z', '2027-01-01T00:00:00.123Z'],
    ['2027-06-30T23:59:59-05:30', '2027-07-01T05:29:59.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseDateTime(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '2027-02-30T00:00:00Z',
    '2027-02-29T00:00:00Z',
    '2027-13-01T00:00:00Z',
    '2027-00-10T00:00:00Z',
    '2027-04-31T00:00:00Z',
    '2027-01-01T24:00:00Z',
    '2027-01-01T23:61:00Z',
    '2027-01-01T23:59:60Z',
    '2027-01-01T00:00:00',
    '2027-01-01T00:00:00+0200',
    '2027-01-01T00:00:00+25:00',
    '2027-02-28',
    '2027-01-01 00:00:00Z',
    'tomorrow',
    '',
  ])('refuses %j', (text) => {
    expect(parseDateTime(text)).toBeNull();
  });
});

describe(SingleLine.name, () => {
  class Note {
    @SingleLine()
    text!: unknown;
  }
  const passes = (text: unknown) => validateSync(Object.assign(new Note(), { text })).length === 0;

  it.each(['Read the orders', 'zoë ☃ 𝄞', 'a "quoted" name; with, punctuation', ''])(
    'takes %j',
    (text) => {
      expect(passes(text)).toBe(true);
    },
  );

  it.each([
    ['a line feed', 'a\nb'],
    ['a carriage return', 'a\rb'],
    ['a tab', 'a\tb'],
    ['U+0000', 'a\u0000b'],
    ['an escape', 'a\u001b[31mb'],
    ['DEL', 'a\u007fb'],
    ['a C1 next line', 'a\u0085b'],
    ['a line separator', 'a\u2028b'],
    ['a paragraph separator', 'a\u2029b'],
  ])('refuses %s', (_case, text) => {
    expect(passes(text)).toBe(false);
  });
});

describe(MaxBytes.name, () => {
  class Note {
    @MaxBytes(4)
    text!: unknown;
  }
  const passes = (text: unknown) => validateSync(Object.assign(new Note(), { text })).length === 0;

  it('counts bytes in UTF-8, not characters', () => {
    expect(passes('abcd')).toBe(true);
    expect(passes('abcde')).toBe(false);
    expect(passes('éé')).toBe(true);
    expect(passes('ééa')).toBe(false);
    expect(passes('𝄞')).toBe(true);
    expect(passes(42)).toBe(false);
  });
});

import { RequestValidationError } from '../../common/errors/domain-error';
import { normalizedTags, TAG_MAX_BYTES } from './verification-tags';

describe(normalizedTags.name, () => {
  const sut = normalizedTags;

  it.each([
    ['endpoint=/v1/things', 'endpoint=/v1/things'],
    [' region=eu , endpoint=/v1/things ', 'endpoint=/v1/things,region=eu'],
    ['a=1,a=1', 'a=1'],
    [['b=2', 'a=1'], 'a=1,b=2'],
    ['q=x=y;z "w"', 'q=x=y;z "w"'],
    ['k=', 'k='],
    [`k=${'x'.repeat(TAG_MAX_BYTES - 2)}`, `k=${'x'.repeat(TAG_MAX_BYTES - 2)}`],
  ])('reads %p as %p', (header, normalized) => {
    expect(sut(header)).toBe(normalized);
  });

  it.each([
    ['', 'empty'],
    ['a=1,,b=2', 'an empty tag'],
    ['a=1,b=2,c=3,d=4,e=5', 'five tags'],
    ['novalue', 'no ='],
    ['=v', 'no key'],
    ['-k=v', 'a key that starts a formula'],
    ['k=line\nbreak', 'a line feed'],
    ['k=cell\rbreak', 'a carriage return'],
    ['k=tab\there', 'a tab'],
    ['k=nul\u0000', 'a NUL'],
    ['k=caf\u00e9', 'non-ASCII'],
    ['k=\u2028', 'a Unicode line separator'],
    [`k=${'x'.repeat(TAG_MAX_BYTES - 1)}`, 'a tag over the bytes'],
  ])('refuses %p (%s) as 422 on the header', (header) => {
    let thrown: unknown;
    try {
      sut(header);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(RequestValidationError);
    expect((thrown as RequestValidationError).issues[0].loc).toEqual(['header', 'x-latchkey-tag']);
  });
});

import { formParams, jsonDepthExceeds, MAX_JSON_DEPTH } from './body-parsers';

describe('jsonDepthExceeds', () => {
  const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it('counts arrays and objects alike, up to the limit and one past it', () => {
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":[{}]}}', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":[{}]}}', 4)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(100)}"}`, 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\"[[[[","b":1}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\\\","b":[[1]]}', 2)).toBe(true);
  });

  it('scans a million levels without recursion', () => {
    expect(jsonDepthExceeds(nested(1_000_000), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe('formParams', () => {
  it('reads each parameter given once as its text, decoded', () => {
    expect(formParams('grant_type=a%3Ab&scope=x+y&empty=')).toEqual({
      grant_type: 'a:b',
      scope: 'x y',
      empty: '',
    });
  });

  it('keeps every value of a repeated parameter, in order, so it is never read as text', () => {
    expect(formParams('scope=a&token=t&scope=b&scope=a')).toEqual({
      scope: ['a', 'b', 'a'],
      token: 't',
    });
    expect(formParams('token=&token=')).toEqual({ token: ['', ''] });
  });

  it('takes __proto__ and constructor as parameters, never as the prototype', () => {
    const params = formParams('__proto__=x&constructor=y');
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(Object.keys(params)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(params, '__proto__')?.value).toBe('x');
  });
});

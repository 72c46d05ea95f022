import { findDuplicateKey } from './json-keys';

describe(findDuplicateKey.name, () => {
  it.each([
    ['{"a":1,"b":2}', null],
    ['{"a":{"a":1},"b":[{"a":1},{"a":2}]}', null],
    ['{"action":"x","action":"y"}', 'action'],
    ['{"actor":{"id":1,"label":"a","label":"b"}}', 'label'],
    ['{"m":[{"k":1,"k":2}]}', 'k'],
    ['{"a":1,"\\u0061":2}', 'a'],
    ['{"s":"\\"a\\":1,\\"a\\":2","t":1}', null],
    ['[{"a":1},{"a":1}]', null],
    ['"a"', null],
  ])('%s → %p', (text, key) => {
    expect(findDuplicateKey(text)).toBe(key);
  });
});

import { canonicalJson } from './canonical-json';

describe(canonicalJson.name, () => {
  it('sorts keys by UTF-16 code units at every depth and drops whitespace', () => {
    const sut = canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: 'x' } });
    expect(sut).toBe('{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}');
  });

  it('orders keys as RFC 8785 section 3.2.3 does', () => {
    // The RFC's sorting example: code-unit order puts "\u20ac" (euro) before "\ud83d\ude00"
    // (an emoji, a surrogate pair) and "\r" before "1".
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '1': 'One',
      '\ud83d\ude00': 'Smiley',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '\u0080': 'Control',
    };
    const expected = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']
      .map((key) => `${JSON.stringify(key)}:${JSON.stringify(input[key as keyof typeof input])}`)
      .join(',');
    expect(canonicalJson(input)).toBe(`{${expected}}`);
  });

  it('serializes numbers and strings as ECMAScript does, which JCS adopts', () => {
    expect(canonicalJson([1e21, 0.1, -0, 1.5e-7, 'é\n"'])).toBe('[1e+21,0.1,0,1.5e-7,"é\\n\\""]');
  });

  it('leaves out undefined members, and refuses values JSON cannot carry', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
    expect(() => canonicalJson({ at: new Date(0) })).toThrow(TypeError);
  });
});

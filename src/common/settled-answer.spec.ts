import { envelope, Outcome } from './http/envelope';
import { settledAnswer, settledJson, settledVariant } from './settled-answer';

describe('settled answers', () => {
  it('are written once, as the envelope of the answer, and the same text is reused', () => {
    const view = settledAnswer({
      id: 'a',
      nested: { at: '2026-11-23T00:00:00.000Z' },
      tags: ['x'],
    });
    const first = settledJson(view);
    expect(first).toBe(JSON.stringify(envelope(view)));
    expect(JSON.parse(first!)).toEqual({ success: true, message: null, code: null, data: view });
    expect(settledJson(view)).toBe(first);
  });

  it.each([
    ['a count', 17],
    ['none left', 0],
    ['a count of more digits than the base had', 1_000_000_007],
  ])('vary in one number as if written whole: %s', (_title, n) => {
    const base = settledAnswer({
      name: '"uses_remaining":41,', // a value holding the key's text is escaped, and left alone
      token: { uses_limit: 50, uses_remaining: 41, scopes: ['a'] },
      after: { uses_remaining_note: 'x' },
    });
    const variant = { ...base, token: { ...base.token, uses_remaining: n } };
    expect(settledJson(settledVariant(base, 'uses_remaining', n, variant))).toBe(
      JSON.stringify(envelope(variant)),
    );
  });

  it('vary as the serializer would write them when the base holds no such number', () => {
    const base = settledAnswer({ token: { uses_remaining: null } });
    const variant = { token: { uses_remaining: 3 } };
    expect(settledJson(settledVariant(base, 'uses_remaining', 3, variant))).toBeUndefined();
  });

  it('are frozen through and through, so a change cannot go unsent', () => {
    const view = settledAnswer({ nested: { n: 1 }, tags: ['x'] });
    expect(() => {
      view.nested.n = 2;
    }).toThrow(TypeError);
    expect(() => view.tags.push('y')).toThrow(TypeError);
  });

  it.each([
    ['a plain object', { id: 'a' }],
    ['a frozen object never settled', Object.freeze({ id: 'a' })],
    ['an outcome', new Outcome({ id: 'a' }, 'ALREADY_REVOKED')],
    ['null', null],
    ['a string', 'text'],
  ])('leave anything else to the serializer: %s', (_title, value) => {
    expect(settledJson(value)).toBeUndefined();
  });
});

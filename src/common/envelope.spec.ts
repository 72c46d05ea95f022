import { envelope, Outcome, settledAnswer, settledJson } from './envelope';

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

import { parseWireMessage } from './invalidation-message';

describe(parseWireMessage.name, () => {
  it.each([
    [{ type: 'token.changed', business_id: 'b', jti: 'j' }],
    [{ type: 'token.changed', business_id: null, jti: 'j' }],
    [{ type: 'business.changed', business_id: 'b' }],
    [{ type: 'membership.changed', business_id: 'b', identity_id: 'i' }],
  ])('reads %j with its origin', (message) => {
    expect(parseWireMessage(JSON.stringify({ ...message, origin: 'o' }))).toEqual({
      origin: 'o',
      message,
    });
  });

  it('reads the publish time when the sender gave one', () => {
    const raw = JSON.stringify({ type: 'business.changed', business_id: 'b', origin: 'o' });
    const at = (sent_at: unknown) =>
      parseWireMessage(JSON.stringify({ ...JSON.parse(raw), sent_at }))?.sentAt;
    expect(at(1_700_000_000_123)).toBe(1_700_000_000_123);
    expect(at('1700000000123')).toBeUndefined();
    expect(at(null)).toBeUndefined();
    expect(parseWireMessage(raw)).toEqual({
      origin: 'o',
      message: { type: 'business.changed', business_id: 'b' },
    });
  });

  it('keeps only the known fields', () => {
    const raw = JSON.stringify({ type: 'business.changed', business_id: 'b', origin: 'o', x: 1 });
    expect(parseWireMessage(raw)?.message).toEqual({ type: 'business.changed', business_id: 'b' });
  });

  it.each([
    ['not json', '{'],
    ['not an object', '"x"'],
    ['no origin', JSON.stringify({ type: 'business.changed', business_id: 'b' })],
    ['unknown type', JSON.stringify({ type: 'x', business_id: 'b', origin: 'o' })],
    ['no jti', JSON.stringify({ type: 'token.changed', business_id: 'b', origin: 'o' })],
    ['no identity', JSON.stringify({ type: 'membership.changed', business_id: 'b', origin: 'o' })],
    ['a number id', JSON.stringify({ type: 'business.changed', business_id: 1, origin: 'o' })],
  ])('answers null for %s', (_label, raw) => {
    expect(parseWireMessage(raw)).toBeNull();
  });
});

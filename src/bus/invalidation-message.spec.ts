import {
  InvalidationMessage,
  MAX_WIRE_BATCH,
  MAX_WIRE_BYTES,
  parseWireMessage,
  wirePayloads,
} from './invalidation-message';

describe(parseWireMessage.name, () => {
  it.each([
    [{ type: 'token.changed', business_id: 'b', jti: 'j' }],
    [{ type: 'token.changed', business_id: null, jti: 'j' }],
    [{ type: 'business.changed', business_id: 'b' }],
    [{ type: 'membership.changed', business_id: 'b', identity_id: 'i' }],
  ])('reads %j with its origin', (message) => {
    expect(parseWireMessage(JSON.stringify({ ...message, origin: 'o' }))).toEqual({
      origin: 'o',
      messages: [message],
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
      messages: [{ type: 'business.changed', business_id: 'b' }],
    });
  });

  it('keeps only the known fields', () => {
    const raw = JSON.stringify({ type: 'business.changed', business_id: 'b', origin: 'o', x: 1 });
    expect(parseWireMessage(raw)?.messages).toEqual([
      { type: 'business.changed', business_id: 'b' },
    ]);
  });

  it.each([
    ['not json', '{'],
    ['not an object', '"x"'],
    ['no origin', JSON.stringify({ type: 'business.changed', business_id: 'b' })],
    ['unknown type', JSON.stringify({ type: 'x', business_id: 'b', origin: 'o' })],
    ['no jti', JSON.stringify({ type: 'token.changed', business_id: 'b', origin: 'o' })],
    ['no identity', JSON.stringify({ type: 'membership.changed', business_id: 'b', origin: 'o' })],
    ['a number id', JSON.stringify({ type: 'business.changed', business_id: 1, origin: 'o' })],
    ['a batch that is not a list', JSON.stringify({ origin: 'o', messages: {} })],
    ['an empty batch', JSON.stringify({ origin: 'o', messages: [] })],
    [
      'a batch of nothing known',
      JSON.stringify({ origin: 'o', messages: [1, null, { type: 'x' }] }),
    ],
    [
      'a batch longer than the limit',
      JSON.stringify({
        origin: 'o',
        messages: Array.from({ length: MAX_WIRE_BATCH + 1 }, () => ({
          type: 'business.changed',
          business_id: 'b',
        })),
      }),
    ],
  ])('answers null for %s', (_label, raw) => {
    expect(parseWireMessage(raw)).toBeNull();
  });

  it('reads a batch, keeping its known entries in order and dropping the rest', () => {
    const raw = JSON.stringify({
      origin: 'o',
      sent_at: 5,
      messages: [
        { type: 'business.changed', business_id: 'b1' },
        { type: 'x', business_id: 'b' },
        'text',
        { type: 'token.changed', business_id: null, jti: 'j' },
      ],
    });
    expect(parseWireMessage(raw)).toEqual({
      origin: 'o',
      sentAt: 5,
      messages: [
        { type: 'business.changed', business_id: 'b1' },
        { type: 'token.changed', business_id: null, jti: 'j' },
      ],
    });
  });
});

describe(wirePayloads.name, () => {
  const tokenChanged = (n: number): InvalidationMessage[] =>
    Array.from({ length: n }, (_, i) => ({
      type: 'token.changed',
      business_id: '0b1d3c52-7f0e-4d5e-9b7a-3f1d2c4b5a69',
      jti: `jti-${String(i).padStart(26, '0')}`,
    }));

  it('sends one message flat, as every version reads it', () => {
    const [one] = tokenChanged(1);
    const payloads = wirePayloads('o', 7, [one]);
    expect(payloads).toEqual([
      { text: JSON.stringify({ ...one, origin: 'o', sent_at: 7 }), count: 1 },
    ]);
  });

  it.each([2, 10, 69, 70, 71, 500, 5_000])(
    'splits %i messages into payloads under the size limit that read back whole, in order',
    (n) => {
      const messages = tokenChanged(n);
      const payloads = wirePayloads('origin-id', 9, messages);
      for (const payload of payloads) {
        expect(Buffer.byteLength(payload.text)).toBeLessThanOrEqual(MAX_WIRE_BYTES);
      }
      const read = payloads.map((p) => parseWireMessage(p.text));
      expect(read.every((w) => w?.origin === 'origin-id' && w.sentAt === 9)).toBe(true);
      expect(read.flatMap((w) => w?.messages ?? [])).toEqual(messages);
      expect(payloads.map((p) => p.count)).toEqual(read.map((w) => w?.messages.length));
      // Coalesced: far fewer payloads than messages.
      expect(payloads.length).toBeLessThanOrEqual(Math.ceil(n / 50));
    },
  );
});

import { createHash } from 'node:crypto';
import {
  canonicalEvent,
  ChainedEvent,
  chainHash,
  ChainWalker,
  GENESIS_HASH,
  hashesOfRow,
  leafOfRow,
} from './audit-chain';
import { rowOfView } from '../codec/audit-codec';
import { leafHash } from '../tree/merkle';
import { canonicalJson } from '../codec/canonical-json';

const event = (seq: number, extra: Partial<ChainedEvent> = {}): ChainedEvent => ({
  id: `00000000-0000-4000-8000-00000000000${seq}`,
  seq,
  business_id: null,
  occurred_at: '2026-11-22T10:00:00.123Z',
  action: 'token.revoked',
  outcome: 'success',
  actor: { id: null, type: 'system', label: 'system' },
  target: { type: 'token', id: null, label: 'ci' },
  request_id: null,
  ip: null,
  user_agent: null,
  metadata: { reason: 'rotated' },
  ...extra,
});

function chain(length: number) {
  let prev = GENESIS_HASH;
  return Array.from({ length }, (_, i) => {
    const e = event(i + 1);
    const hash = chainHash(prev, e);
    const row = { ...e, prev_hash: prev, hash };
    prev = hash;
    return row;
  });
}

describe(ChainWalker.name, () => {
  it('hashes prev_hash followed by the RFC 8785 form of the event', () => {
    const canonical =
      '{"action":"token.revoked","actor":{"id":null,"label":"system","type":"system"},' +
      '"business_id":null,"id":"00000000-0000-4000-8000-000000000001","ip":null,' +
      '"metadata":{"reason":"rotated"},"occurred_at":"2026-11-22T10:00:00.123Z",' +
      '"outcome":"success","request_id":null,"seq":1,' +
      '"target":{"id":null,"label":"ci","type":"token"},"user_agent":null}';
    const expected = createHash('sha256')
      .update(GENESIS_HASH + canonical)
      .digest('hex');
    expect(chainHash(GENESIS_HASH, event(1))).toBe(expected);
  });

  it('writes the same canonical form as the general JCS function', () => {
    const unusual = event(7, {
      business_id: '2f1e0d9c-8b7a-4654-a3b2-c1d0e9f8a7b6',
      actor: { id: 'x', type: 'user', label: 'zoë+\u2028"quoted"@example.test' },
      target: { type: 'machine', id: null, label: null },
      ip: '::1',
      user_agent: 'curl/8 \ud83d\ude00',
      metadata: { z: [1, 2.5, null], a: { c: true, b: 'é' } },
    });
    for (const e of [event(1), unusual]) expect(canonicalEvent(e)).toBe(canonicalJson(e));
  });

  it('accepts an intact chain fed in batches, and an empty one', () => {
    const rows = chain(5);
    const sut = new ChainWalker();
    expect(sut.feed(rows.slice(0, 2))).toBe(true);
    expect(sut.feed(rows.slice(2))).toBe(true);
    expect(sut.finish({ seq: 5, hash: rows[4].hash })).toEqual({
      valid: true,
      checked: 5,
      first_invalid_seq: null,
    });
    expect(new ChainWalker().finish(null)).toEqual({
      valid: true,
      checked: 0,
      first_invalid_seq: null,
    });
  });

  it('names the first seq that does not hold', () => {
    const rows = chain(5);
    const edited = rows.map((r) => (r.seq === 3 ? { ...r, action: 'token.created' } : r));
    const withoutThird = rows.filter((r) => r.seq !== 3);
    const head = { seq: 5, hash: rows[4].hash };
    for (const [tampered, seq] of [
      [edited, 3],
      [withoutThird, 3],
      [rows.slice(0, 4), 5],
    ] as const) {
      const sut = new ChainWalker();
      sut.feed(tampered);
      expect(sut.finish(head)).toMatchObject({ valid: false, first_invalid_seq: seq });
    }
  });
});

describe('audit tree leaves', () => {
  it("are RFC 6962 leaves over the chain's own canonical bytes, beside the chain hash", () => {
    const e = event(1, { target: { type: 'token', id: null, label: 'é ☃ \u2028' } });
    const row = rowOfView(e);
    const bytes = Buffer.from(canonicalEvent(e), 'utf8');
    const { hash, leaf } = hashesOfRow(GENESIS_HASH, row, 'event');
    expect(hash).toBe(chainHash(GENESIS_HASH, e));
    expect(leaf.equals(leafHash(bytes))).toBe(true);
    expect(leafOfRow(row, 'event').equals(leaf)).toBe(true);
    // One buffer serves every row: a longer row, then a shorter one, leave nothing behind.
    const long = rowOfView(
      event(2, { target: { type: 'token', id: null, label: 'x'.repeat(300) } }),
    );
    hashesOfRow(hash, long, 'event');
    expect(hashesOfRow(GENESIS_HASH, row, 'event').hash).toBe(chainHash(GENESIS_HASH, e));
    // A prev_hash that is no hash is hashed as the text it is, as the chain rule says.
    const odd = 'not-a-hash é';
    expect(hashesOfRow(odd, row, 'event').hash).toBe(
      createHash('sha256')
        .update(odd + canonicalEvent(e))
        .digest('hex'),
    );
  });
});

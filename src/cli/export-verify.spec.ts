import { createHash } from 'node:crypto';
import { chainHash, ChainedEvent, GENESIS_HASH } from '../audit/audit-chain';
import { canonicalJson } from '../audit/canonical-json';
import { verifyExportLines } from './export-verify';

/** An export of `n` events, one NDJSON line each, chained as the server chains them. */
function exportOf(n: number): string[] {
  let prev = GENESIS_HASH;
  const lines: string[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const event: ChainedEvent = {
      id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      seq,
      business_id: null,
      occurred_at: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, seq)).toISOString(),
      origin: 'cli',
      action: 'token.revoked',
      outcome: 'success',
      actor: { id: null, type: 'system', label: 'cli' },
      target: { type: 'token', id: `t${seq}`, label: 'ci' },
      request_id: null,
      ip: null,
      user_agent: null,
      metadata: { reason: 'leaked', n: seq, nested: { b: 1, a: [true, null] } },
    };
    const hash = chainHash(prev, event);
    lines.push(JSON.stringify({ ...event, prev_hash: prev, hash }));
    prev = hash;
  }
  return lines;
}

const verify = (lines: string[]) => verifyExportLines(lines);

describe(verifyExportLines.name, () => {
  it('accepts an untouched export, and an empty one', async () => {
    await expect(verify([...exportOf(5), ''])).resolves.toEqual({
      valid: true,
      checked: 5,
      first_invalid_seq: null,
    });
    await expect(verify([])).resolves.toEqual({ valid: true, checked: 0, first_invalid_seq: null });
  });

  it.each([
    ['an edited field', (l: string[]) => (l[2] = l[2].replace('"leaked"', '"rotated"'))],
    ['an added field', (l: string[]) => (l[2] = l[2].replace('{', '{"extra":1,'))],
    ['a line that is not JSON', (l: string[]) => (l[2] = l[2].slice(1))],
    ['a deleted line', (l: string[]) => l.splice(2, 1)],
    ['two lines swapped', (l: string[]) => ([l[2], l[3]] = [l[3], l[2]])],
  ])('names the first broken seq after %s', async (_what, tamper) => {
    const lines = exportOf(6);
    tamper(lines);
    await expect(verify(lines)).resolves.toEqual({
      valid: false,
      checked: 3,
      first_invalid_seq: 3,
    });
  });

  it('refuses an export that does not start at the genesis hash', async () => {
    await expect(verify(exportOf(4).slice(1))).resolves.toMatchObject({
      valid: false,
      first_invalid_seq: 1,
    });
  });

  it.each([
    ['an added key', (e: Record<string, unknown>) => ({ ...e, note: 'x' })],
    ['origin as null', (e: Record<string, unknown>) => ({ ...e, origin: null })],
    ['a number for an action', (e: Record<string, unknown>) => ({ ...e, action: 7 })],
  ])(
    'refuses %s even when every hash after it is recomputed by the generic rule',
    async (_what, reshape) => {
      let prev = GENESIS_HASH;
      const lines = exportOf(4).map((line, i) => {
        const event = JSON.parse(line) as Record<string, unknown>;
        delete event.prev_hash;
        delete event.hash;
        const body = i === 1 ? reshape(event) : event;
        const hash = createHash('sha256')
          .update(prev + canonicalJson(body))
          .digest('hex');
        const forged = JSON.stringify({ ...body, prev_hash: prev, hash });
        prev = hash;
        return forged;
      });
      await expect(verify(lines)).resolves.toEqual({
        valid: false,
        checked: 2,
        first_invalid_seq: 2,
      });
    },
  );
});

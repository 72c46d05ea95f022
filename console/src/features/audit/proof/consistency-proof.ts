import { fromBase64, type Bytes } from './bytes';

/**
 * Latchkey's consistency proof text (src/audit/tree/tlog-proof.ts): `latchkey.audit-consistency@v1`,
 * `old <m>`, `new <n>`, then the RFC 6962 proof, one base64 hash a line, each line ending in a
 * newline. Read exactly as written: no carriage returns, no leading zeros, canonical base64.
 */
export const CONSISTENCY_HEADER = 'latchkey.audit-consistency@v1';

export interface ConsistencyProof {
  from: number;
  to: number;
  proof: Bytes[];
}

function decimal(line: string | undefined, key: string): number {
  const match = new RegExp(`^${key} (0|[1-9][0-9]*)$`).exec(line ?? '');
  if (!match || !Number.isSafeInteger(Number(match[1]))) {
    throw new Error(`expected the line "${key} <decimal>"`);
  }
  return Number(match[1]);
}

export function parseConsistencyProof(text: string): ConsistencyProof {
  if (!text.endsWith('\n')) throw new Error('a consistency proof ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== CONSISTENCY_HEADER) {
    throw new Error(`a consistency proof starts with the line ${CONSISTENCY_HEADER}`);
  }
  const from = decimal(lines[1], 'old');
  const to = decimal(lines[2], 'new');
  if (from > to) throw new Error('a consistency proof goes from an old size to a larger one');
  const proof = lines.slice(3).map((line) => {
    const hash = fromBase64(line);
    if (!hash || hash.length !== 32) throw new Error('a proof line is not the base64 of 32 bytes');
    return hash;
  });
  return { from, to, proof };
}

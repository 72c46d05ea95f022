import type { Hash } from './merkle';

/**
 * Proof texts. An inclusion proof is c2sp.org/tlog-proof@v1: the header line, an optional
 * `extra <base64>` line (opaque and unauthenticated), `index <n>` (zero-based), the RFC 6962
 * audit path one base64 hash a line (the leaf's sibling first), a blank line, then the signed
 * checkpoint verbatim. C2SP defines no consistency proof text, so Latchkey's is of the same
 * kind: `latchkey.audit-consistency@v1`, `old <m>`, `new <n>`, then the RFC 6962 consistency
 * proof one base64 hash a line. Both parsers accept exactly what the formatters write: no
 * carriage returns, no leading zeros, canonical base64 only.
 */

export const INCLUSION_HEADER = 'c2sp.org/tlog-proof@v1';
export const CONSISTENCY_HEADER = 'latchkey.audit-consistency@v1';

export interface InclusionProof {
  index: number;
  proof: Hash[];
  /** The signed checkpoint note the proof is against, ending with its newline. */
  checkpoint: string;
  extra?: Buffer;
}

export interface ConsistencyProof {
  /** The size of the older tree, the one shown to be a prefix (`old`). */
  from: number;
  /** The size of the newer tree (`new`). */
  to: number;
  proof: Hash[];
}

export function formatInclusionProof(p: InclusionProof): string {
  wholeNumber(p.index, 'an index');
  if (!p.checkpoint.endsWith('\n') || p.checkpoint.startsWith('\n')) {
    throw new RangeError('a checkpoint is a signed note, ending with a newline');
  }
  const extra = p.extra ? `extra ${p.extra.toString('base64')}\n` : '';
  return `${INCLUSION_HEADER}\n${extra}index ${p.index}\n${hashLines(p.proof)}\n${p.checkpoint}`;
}

export function parseInclusionProof(text: string): InclusionProof {
  const lines = text.split('\n');
  if (lines[0] !== INCLUSION_HEADER) {
    throw new Error(`an inclusion proof starts with the line ${INCLUSION_HEADER}`);
  }
  let at = 1;
  let extra: Buffer | undefined;
  if (lines[at]?.startsWith('extra ')) {
    extra = base64Of(lines[at++].slice('extra '.length)) ?? undefined;
    if (!extra) throw new Error('the extra line is not "extra <base64>"');
  }
  const index = decimal(lines[at++], 'index');
  const proof: Hash[] = [];
  while (at < lines.length && lines[at] !== '') proof.push(hashOf(lines[at++]));
  const checkpoint = lines.slice(at + 1).join('\n');
  if (at >= lines.length || checkpoint === '' || !checkpoint.endsWith('\n')) {
    throw new Error('an inclusion proof ends with a blank line and the signed checkpoint');
  }
  return extra ? { index, proof, checkpoint, extra } : { index, proof, checkpoint };
}

export function formatConsistencyProof(p: ConsistencyProof): string {
  wholeNumber(p.from, 'a tree size');
  wholeNumber(p.to, 'a tree size');
  if (p.from > p.to) throw new RangeError('the old tree is not larger than the new one');
  return `${CONSISTENCY_HEADER}\nold ${p.from}\nnew ${p.to}\n${hashLines(p.proof)}`;
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
  return { from, to, proof: lines.slice(3).map(hashOf) };
}

function hashLines(proof: readonly Hash[]): string {
  if (proof.some((h) => h.length !== 32)) throw new RangeError('a proof hash is 32 bytes');
  return proof.map((h) => `${h.toString('base64')}\n`).join('');
}

function wholeNumber(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} is a whole number`);
}

/** `<key> <decimal>`, in ASCII with no leading zero, as C2SP writes an index. */
function decimal(line: string | undefined, key: string): number {
  const match = new RegExp(`^${key} (0|[1-9][0-9]*)$`).exec(line ?? '');
  if (!match || !Number.isSafeInteger(Number(match[1]))) {
    throw new Error(`expected the line "${key} <decimal>"`);
  }
  return Number(match[1]);
}

/** Standard base64 in its one canonical spelling (Buffer.from alone skips bad characters). */
function base64Of(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

function hashOf(line: string): Hash {
  const hash = base64Of(line);
  if (!hash || hash.length !== 32) throw new Error('a proof line is not the base64 of 32 bytes');
  return hash;
}

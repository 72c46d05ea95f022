import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ChainVerdict, GENESIS_HASH, rowHash } from '../audit/audit-chain';
import { rowOfEvent } from '../audit/audit-codec';
import type { AuditRow } from '../audit/audit-row';
import { findDuplicateKey } from '../common/json-keys';

/** What the offline verify answers: the chain's verdict, and why, when a line is refused for its form. */
export type ExportVerdict = ChainVerdict & { reason?: string };

/** The file's first line is no JSON object: not an NDJSON export at all (a CSV export, say). */
export class NotNdjsonError extends Error {
  constructor(readonly lineNumber: number) {
    super(
      `line ${lineNumber} is not a JSON object: this is not an NDJSON audit export ` +
        '(export with format=ndjson; a CSV export cannot be verified)',
    );
  }
}

/**
 * Checks an NDJSON audit export offline, with the rule of docs/api.md: each line's `hash` is
 * `sha256(prev_hash || RFC 8785 JSON of the line without prev_hash and hash)`, its `prev_hash`
 * is the line before's hash (64 zeros for the first), and `seq` counts 1, 2, 3… An edited,
 * added, removed or reordered line breaks the walk at the first `seq` that does not hold. An
 * export carries no chain head, so a cut-off tail is found only by the server's verify.
 *
 * A line is read by the audit codec, as the server's verify reads a row: a line in any shape the
 * server never writes (a key added, a null where a key would be absent) does not hold, even with
 * hashes recomputed to match it.
 */
export async function verifyExportLines(
  lines: AsyncIterable<string> | Iterable<string>,
): Promise<ExportVerdict> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber++;
    const line = raw.trim();
    if (line === '') continue;
    checked++;
    const event = parseLine(line);
    if (event === null && checked === 1) throw new NotNdjsonError(lineNumber);
    // Readers disagree on which of two equal keys counts: such a line is refused, named.
    const duplicate = event === null ? null : findDuplicateKey(line);
    if (duplicate !== null) {
      const seq = validSeq(event?.seq) ?? expectedSeq;
      return {
        valid: false,
        checked,
        first_invalid_seq: Math.min(seq, expectedSeq),
        reason: `the event with seq ${seq} holds the key ${JSON.stringify(duplicate)} twice`,
      };
    }
    const stored = event?.hash;
    if (
      event === null ||
      event.row === null ||
      event.seq !== expectedSeq ||
      event.prevHash !== prevHash ||
      typeof stored !== 'string' ||
      stored !== lineHash(prevHash, event.row)
    ) {
      const at = validSeq(event?.seq) ?? expectedSeq;
      return { valid: false, checked, first_invalid_seq: Math.min(at, expectedSeq) };
    }
    prevHash = stored;
    expectedSeq++;
  }
  return { valid: true, checked, first_invalid_seq: null };
}

function validSeq(seq: unknown): number | null {
  return typeof seq === 'number' && Number.isInteger(seq) && seq > 0 ? seq : null;
}

/** `verifyExportLines` over a file, read a line at a time (constant memory). */
export function verifyExportFile(path: string): Promise<ExportVerdict> {
  const input = createReadStream(path, { encoding: 'utf8' });
  return verifyExportLines(createInterface({ input, crlfDelay: Infinity }));
}

interface ExportLine {
  seq: unknown;
  prevHash: unknown;
  hash: unknown;
  /** The event as the codec reads it; null when the line is in no shape the server writes. */
  row: AuditRow | null;
}

function parseLine(line: string): ExportLine | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const { seq, prev_hash: prevHash, hash: stored } = parsed as Record<string, unknown>;
  return { seq, prevHash, hash: stored, row: rowOfEvent(parsed) };
}

function lineHash(prevHash: string, row: AuditRow): string | null {
  try {
    return rowHash(prevHash, row, 'event');
  } catch {
    return null; // a value JCS has no form for: not a line the server wrote
  }
}

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ChainVerdict, GENESIS_HASH } from '../../audit/chain/audit-chain';
import { EMPTY_ROOT, Hash, MerkleFrontier } from '../../audit/tree/merkle';
import { NoteVerifier } from '../../audit/checkpoints/signed-note';
import { findDuplicateKey } from '../../common/validation/json-keys';
import {
  eventOf,
  lastLine,
  lastLineOfFile,
  lineHashes,
  parseJson,
  trailerOf,
} from './export-lines';
import {
  CheckpointCheck,
  checkCheckpoint,
  NotACheckpointError,
  SignatureCheck,
  UNCHECKED_SIGNATURE_NOTE,
} from './tlog-verify';

/**
 * What the offline verify answers: the chain's verdict, why when it is invalid, the signed
 * checkpoint the events were held to when there was one, and how much of that was checked
 * against the key (the same two fields as the server's verify).
 */
export type ExportVerdict = ChainVerdict & {
  reason?: string;
  checkpoint?: { origin: string; size: number; signature: SignatureCheck };
  /** A checkpoint's signature was checked under the key, and its root against the events. */
  checkpoint_checked: boolean;
  /** The events from seq 1 to this one are held by a checkpoint the key signed; 0 when none. */
  signed_through_seq: number;
};

export interface ExportCheckOptions {
  /** A signed checkpoint note to hold the export to; else the export's own last line, if any. */
  checkpoint?: string;
  /**
   * The key the checkpoint must be signed by. With one, a file that carries no checkpoint does
   * not hold (unless `allowUnsigned`); without one, a checkpoint's signature goes unchecked.
   */
  verifier?: NoteVerifier;
  /** With a key, accept a file that carries no checkpoint on its chain alone, on purpose. */
  allowUnsigned?: boolean;
}

/**
 * Why a file with no checkpoint does not hold under a key: its chain proves nothing against
 * whoever can write the file, who can recompute it from scratch.
 */
export const NO_CHECKPOINT_REASON =
  'the file carries no checkpoint, so nothing in it was checked against the key: whoever can ' +
  'rewrite the file can recompute its whole chain. Verify a whole NDJSON export (its last line ' +
  'is the checkpoint; a filtered export, or one made before the chain was first signed, has ' +
  'none), give a checkpoint kept apart with --checkpoint, or pass --allow-unsigned to accept ' +
  'the chain alone';

/**
 * What `audit verify` says on stderr beside its answer: why the file does not hold, and what in
 * it was not checked against a key, so that a person reading the output is told what the
 * `checkpoint_checked` and `signed_through_seq` fields mean for them.
 */
export function exportNotes(verdict: ExportVerdict, keyGiven: boolean): string[] {
  const notes: string[] = [];
  if (!verdict.valid) {
    const why = verdict.reason === undefined ? '' : `: ${verdict.reason}`;
    notes.push(`The export does not hold from seq ${verdict.first_invalid_seq}${why}.`);
  }
  const { checkpoint, checked, signed_through_seq: signed } = verdict;
  if (checkpoint?.signature === 'unchecked') notes.push(UNCHECKED_SIGNATURE_NOTE);
  if (!verdict.valid) return notes;
  if (checkpoint === undefined) {
    notes.push(
      keyGiven
        ? 'Nothing was checked against --key: the file carries no checkpoint, and ' +
            '--allow-unsigned accepted its chain alone, which whoever can rewrite the file can ' +
            'recompute.'
        : 'The file carries no checkpoint: its chain alone was checked, which whoever can ' +
            'rewrite the file can recompute. Give --key to require a checkpoint signed by it.',
    );
  } else if (checkpoint.signature === 'verified' && signed < checked) {
    notes.push(
      `The events from seq ${signed + 1} to ${checked} are past the signed checkpoint (of ` +
        `size ${signed}): their chain alone holds them, which whoever can rewrite the file can ` +
        'recompute. Verify again with a later checkpoint (GET …/audit-events/checkpoint, given ' +
        'with --checkpoint) to cover them.',
    );
  }
  return notes;
}

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
 * Checks an NDJSON audit export offline, by docs/api.md's rule: each line's `hash` is
 * `sha256(prev_hash || RFC 8785 JSON of the line without prev_hash and hash)`, its `prev_hash`
 * the line before's hash (64 zeros for the first), and `seq` counts 1, 2, 3…; the walk breaks at
 * the first line that does not hold. Lines are read by the audit codec, so a shape the server
 * never writes does not hold, even with hashes recomputed to match it.
 *
 * A chain alone has no head, and whoever can write the file can rewrite it whole. So a whole
 * export ends with the server's signed checkpoint of the chain's RFC 6962 tree (seq s is leaf
 * s − 1), and the walk grows the tree (O(log n) memory) to its size and compares the roots.
 */
export function verifyExportLines(
  lines: readonly string[],
  options: ExportCheckOptions = {},
): Promise<ExportVerdict> {
  return verifyExport(lines, lastLine(lines, true) ?? null, options);
}

/** `verifyExportLines` over a file, read a line at a time (constant memory). */
export async function verifyExportFile(
  path: string,
  options: ExportCheckOptions = {},
): Promise<ExportVerdict> {
  // The checkpoint's size must be known before the walk passes it: its line is read first.
  const last = await lastLineOfFile(path);
  const input = createReadStream(path, { encoding: 'utf8' });
  return verifyExport(createInterface({ input, crlfDelay: Infinity }), last, options);
}

async function verifyExport(
  lines: AsyncIterable<string> | Iterable<string>,
  last: string | null,
  options: ExportCheckOptions,
): Promise<ExportVerdict> {
  const trailer = last === null ? null : trailerOf(parseJson(last), last);
  const note = options.checkpoint ?? trailer;
  let check: CheckpointCheck | NotACheckpointError | null = null;
  try {
    check = note === null ? null : checkCheckpoint(note, options.verifier);
  } catch (e) {
    if (!(e instanceof NotACheckpointError)) throw e;
    const where =
      options.checkpoint === undefined ? "the export's last line" : 'the checkpoint given';
    check = new NotACheckpointError(`${where} is ${e.message}`);
  }
  const target = check && !(check instanceof Error) && check.ok ? check.checkpoint.size : null;
  return judge(await walk(lines, target, trailer), check, options);
}

interface Walk {
  chain: ChainVerdict & { reason?: string };
  /** Events that held, from seq 1. */
  events: number;
  /** The tree's root at the checkpoint's size, once the walk got there. */
  rootAtSize: Hash | null;
}

async function walk(
  lines: AsyncIterable<string> | Iterable<string>,
  size: number | null,
  trailer: string | null,
): Promise<Walk> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let lineNumber = 0;
  let met: string | null = null;
  const tree = new MerkleFrontier();
  let rootAtSize = size === 0 ? EMPTY_ROOT : null;
  const broken = (seq: number, reason?: string): Walk => ({
    chain: { valid: false, checked, first_invalid_seq: seq, ...(reason ? { reason } : {}) },
    events: expectedSeq - 1,
    rootAtSize,
  });
  for await (const raw of lines) {
    lineNumber++;
    const line = raw.trim();
    if (line === '') continue;
    if (met !== null) return broken(expectedSeq, "a checkpoint line must be the export's last");
    const parsed = parseJson(line);
    met = trailerOf(parsed, line);
    if (met !== null) continue;
    checked++;
    const event = eventOf(parsed);
    if (event === null && checked === 1) throw new NotNdjsonError(lineNumber);
    // Readers disagree on which of two equal keys counts: such a line is refused, named.
    const duplicate = event === null ? null : findDuplicateKey(line);
    if (duplicate !== null) {
      const seq = validSeq(event?.seq) ?? expectedSeq;
      const reason = `the event with seq ${seq} holds the key ${JSON.stringify(duplicate)} twice`;
      return broken(Math.min(seq, expectedSeq), reason);
    }
    // The leaf only while the tree is short of the checkpoint: past it, the chain alone.
    const hashes = event?.row
      ? lineHashes(prevHash, event.row, size !== null && tree.size < size)
      : null;
    if (
      event === null ||
      hashes === null ||
      event.seq !== expectedSeq ||
      event.prevHash !== prevHash ||
      event.hash !== hashes.hash
    ) {
      return broken(Math.min(validSeq(event?.seq) ?? expectedSeq, expectedSeq));
    }
    if (hashes.leaf) {
      tree.append(hashes.leaf);
      if (tree.size === size) rootAtSize = tree.root();
    }
    prevHash = hashes.hash;
    expectedSeq++;
  }
  if (met !== trailer) {
    // The line read first from the file's end is not this one: the file changed meanwhile.
    return broken(expectedSeq, 'the checkpoint line changed while the file was read');
  }
  return {
    chain: { valid: true, checked, first_invalid_seq: null },
    events: expectedSeq - 1,
    rootAtSize,
  };
}

/**
 * The verdict of the walk held to the checkpoint. Which event a rewrite changed cannot be known
 * from one root, so a root that differs, or a checkpoint that cannot be trusted, leaves no event
 * trusted: seq 1. As the server's verify, a checkpoint past the chain's first break is not judged.
 */
function judge(
  walked: Walk,
  check: CheckpointCheck | NotACheckpointError | null,
  options: ExportCheckOptions,
): ExportVerdict {
  const { events, rootAtSize } = walked;
  const chain: ExportVerdict = { ...walked.chain, ...UNSIGNED };
  if (check === null) {
    const required = options.verifier !== undefined && !options.allowUnsigned;
    return required ? failed(chain, 1, NO_CHECKPOINT_REASON) : chain;
  }
  if (check instanceof NotACheckpointError) {
    return failed(chain, 1, check.message);
  }
  const { origin, size, root } = check.checkpoint;
  const checkpoint = { origin, size, signature: check.ok ? check.signature : 'invalid' } as const;
  if (!check.ok) {
    return {
      ...failed(chain, 1, `the checkpoint of size ${size} is not trusted: ${check.reason}`),
      checkpoint,
      checkpoint_checked: true,
    };
  }
  if (chain.first_invalid_seq !== null && chain.first_invalid_seq <= size) {
    return { ...chain, checkpoint };
  }
  const signed = check.signature === 'verified';
  if (events < size) {
    const reason =
      `the signed checkpoint covers ${size} events, the file holds ${events}: the events from ` +
      `seq ${events + 1} were cut off`;
    return { ...failed(chain, events + 1, reason), checkpoint, checkpoint_checked: signed };
  }
  if (!rootAtSize?.equals(root)) {
    const reason =
      `the events do not hash to the root of the signed checkpoint of size ${size}: no event ` +
      `up to seq ${size} can be trusted`;
    return { ...failed(chain, 1, reason), checkpoint, checkpoint_checked: signed };
  }
  return {
    ...chain,
    checkpoint,
    checkpoint_checked: signed,
    signed_through_seq: signed ? size : 0,
  };
}

/** Nothing checked against a key: what every verdict says until a signed checkpoint holds. */
const UNSIGNED = { checkpoint_checked: false, signed_through_seq: 0 } as const;

function failed(chain: ExportVerdict, seq: number, reason: string): ExportVerdict {
  const first = Math.min(seq, chain.first_invalid_seq ?? Infinity);
  const reasons = [reason, chain.reason].filter((r) => r !== undefined).join('; ');
  return {
    valid: false,
    checked: chain.checked,
    first_invalid_seq: first,
    reason: reasons,
    ...UNSIGNED,
  };
}

function validSeq(seq: unknown): number | null {
  return typeof seq === 'number' && Number.isInteger(seq) && seq > 0 ? seq : null;
}

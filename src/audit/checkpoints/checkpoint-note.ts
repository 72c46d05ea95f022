import {
  NoteSignature,
  NoteSigner,
  NoteVerifier,
  OpenedNote,
  openNote,
  readNote,
  signNote,
} from './signed-note';

/**
 * C2SP checkpoints (c2sp.org/tlog-checkpoint): a signed note whose text is the log's origin, the
 * tree size in decimal, and the RFC 6962 root hash in standard base64, one a line, then any
 * extension lines (opaque, non-empty, and not recommended).
 */

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  extensions: string[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
// eslint-disable-next-line no-control-regex -- a note holds no control character but newlines
const CONTROL = /[\u0000-\u001f]/;

/** The note text of a checkpoint. */
export function formatCheckpoint(checkpoint: {
  origin: string;
  size: number;
  root: Buffer;
  extensions?: readonly string[];
}): string {
  const { origin, size, root, extensions = [] } = checkpoint;
  if (origin === '' || CONTROL.test(origin)) {
    throw new RangeError('an origin is one non-empty line');
  }
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError('a tree size is a whole number');
  }
  if (root.length !== 32) throw new RangeError('a root is 32 bytes');
  if (extensions.some((line) => line === '' || CONTROL.test(line))) {
    throw new RangeError('an extension is one non-empty line');
  }
  return [origin, String(size), root.toString('base64'), ...extensions, ''].join('\n');
}

/** The checkpoint a note's text holds; refuses anything that is not exactly one. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new Error('a checkpoint ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new Error('a checkpoint has an origin, a size and a root');
  const [origin, size, root, ...extensions] = lines;
  if (origin === '') throw new Error("a checkpoint's origin is empty");
  if (!DECIMAL.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new Error("a checkpoint's size is not a decimal whole number without leading zeros");
  }
  const hash = Buffer.from(root, 'base64');
  if (hash.length !== 32 || hash.toString('base64') !== root) {
    throw new Error("a checkpoint's root is not the base64 of 32 bytes");
  }
  if (extensions.includes('')) throw new Error('a checkpoint holds a blank line');
  return { origin, size: Number(size), root: hash, extensions };
}

/** The signed checkpoint note. */
export function signCheckpoint(
  checkpoint: Parameters<typeof formatCheckpoint>[0],
  ...signers: NoteSigner[]
): string {
  return signNote(formatCheckpoint(checkpoint), ...signers);
}

export interface OpenedCheckpoint extends Checkpoint {
  note: OpenedNote;
}

/**
 * A signed checkpoint opened with the keys one trusts: the signed-note rules first (a `NoteError`
 * when no trusted key signed it), then the text must be a checkpoint (an Error when it is not).
 */
export function openCheckpoint(
  note: string | Uint8Array,
  trusted: readonly NoteVerifier[],
): OpenedCheckpoint {
  const opened = openNote(note, trusted);
  return { ...parseCheckpoint(opened.text), note: opened };
}

/**
 * A signed checkpoint read without checking any signature: for a reader with no key, who must
 * say so, since anyone can sign a checkpoint with a key of their own.
 */
export function readCheckpointUnverified(
  note: string | Uint8Array,
): Checkpoint & { signatures: NoteSignature[] } {
  const { text, signatures } = readNote(note);
  return {
    ...parseCheckpoint(text),
    signatures: signatures.map(({ name, keyIdHex }) => ({ name, keyIdHex })),
  };
}

import { fromBase64, type Bytes } from './bytes';
import { openNote, type NoteVerifier, type OpenedNote } from './signed-note';

/**
 * C2SP checkpoints (c2sp.org/tlog-checkpoint): a signed note whose text is the log's origin, the
 * tree size in decimal, and the RFC 6962 root in base64, one a line, then extension lines. As
 * src/audit/checkpoints/checkpoint-note.ts reads them.
 */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Bytes;
  extensions: string[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new Error('a checkpoint ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new Error('a checkpoint has an origin, a size and a root');
  const [origin, size, root, ...extensions] = lines;
  if (origin === '') throw new Error("a checkpoint's origin is empty");
  if (!DECIMAL.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new Error("a checkpoint's size is not a decimal whole number without leading zeros");
  }
  const hash = fromBase64(root);
  if (!hash || hash.length !== 32)
    throw new Error("a checkpoint's root is not the base64 of 32 bytes");
  if (extensions.includes('')) throw new Error('a checkpoint holds a blank line');
  return { origin, size: Number(size), root: hash, extensions };
}

export interface OpenedCheckpoint extends Checkpoint {
  note: OpenedNote;
}

/** A signed checkpoint opened with the trusted keys: the signature first, then the text. */
export async function openCheckpoint(
  note: string,
  trusted: readonly NoteVerifier[],
): Promise<OpenedCheckpoint> {
  const opened = await openNote(note, trusted);
  return { ...parseCheckpoint(opened.text), note: opened };
}

/** The size a checkpoint note claims, read without checking anything (for display and names). */
export function claimedSize(note: string): number | null {
  const line = note.split('\n')[1];
  return line !== undefined && DECIMAL.test(line) ? Number(line) : null;
}

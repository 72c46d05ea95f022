import { open } from 'node:fs/promises';
import { hashesOfRow, rowHash } from '../../audit/chain/audit-chain';
import { rowOfEvent } from '../../audit/codec/audit-codec';
import type { AuditRow } from '../../audit/codec/audit-row';
import type { Hash } from '../../audit/tree/merkle';
import { MAX_NOTE_BYTES } from '../../audit/checkpoints/signed-note';
import { findDuplicateKey } from '../../common/validation/json-keys';

/**
 * Reading an NDJSON audit export, line by line, as the offline verify needs it: each line as an
 * event or the closing checkpoint, each event's hashes recomputed, and a file's last line read
 * from its end. What the lines add up to is export-verify.ts's.
 */

export interface ExportLine {
  seq: unknown;
  prevHash: unknown;
  hash: unknown;
  /** The event as the codec reads it; null when the line is in no shape the server writes. */
  row: AuditRow | null;
}

export const NOT_JSON = Symbol('not JSON');

export function parseJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return NOT_JSON;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function eventOf(parsed: unknown): ExportLine | null {
  if (!isObject(parsed)) return null;
  const { seq, prev_hash: prevHash, hash: stored } = parsed;
  return { seq, prevHash, hash: stored, row: rowOfEvent(parsed) };
}

/** The note of a checkpoint line: exactly `{"checkpoint": "<note>"}`, the key once; else null. */
export function trailerOf(parsed: unknown, line: string): string | null {
  if (!isObject(parsed) || typeof parsed.checkpoint !== 'string') return null;
  const single = Object.keys(parsed).length === 1 && findDuplicateKey(line) === null;
  return single ? parsed.checkpoint : null;
}

export function lineHashes(
  prevHash: string,
  row: AuditRow,
  withLeaf: boolean,
): { hash: string; leaf?: Hash } | null {
  try {
    return withLeaf
      ? hashesOfRow(prevHash, row, 'event')
      : { hash: rowHash(prevHash, row, 'event') };
  } catch {
    return null; // a value JCS has no form for: not a line the server wrote
  }
}

/** Line breaks as readline splits lines. */
const LINE_BREAK = /\r\n|\n|\r/;
const TAIL_CHUNK = 64 * 1024;
/** A longer last line holds no checkpoint: a note is at most 1 MiB, and JSON escapes its newlines. */
const MAX_TAIL = 3 * MAX_NOTE_BYTES;

/** The last non-blank line; undefined when it may begin before these lines (not `whole`). */
export function lastLine(lines: readonly string[], whole: boolean): string | null | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (line !== '') return i > 0 || whole ? line : undefined;
  }
  return whole ? null : undefined;
}

/** A file's last non-blank line, read from its end. */
export async function lastLineOfFile(path: string): Promise<string | null> {
  const file = await open(path, 'r');
  try {
    let start = (await file.stat()).size;
    let tail = Buffer.alloc(0);
    while (start > 0 && tail.length <= MAX_TAIL) {
      const from = Math.max(0, start - TAIL_CHUNK);
      const chunk = Buffer.alloc(start - from);
      await file.read(chunk, 0, chunk.length, from);
      tail = Buffer.concat([chunk, tail]);
      start = from;
      // A character cut at the chunk's start garbles only a line that is not yet whole.
      const line = lastLine(tail.toString('utf8').split(LINE_BREAK), start === 0);
      if (line !== undefined) return line;
    }
    return null;
  } finally {
    await file.close();
  }
}

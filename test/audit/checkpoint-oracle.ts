import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { EventLine, jcs } from './audit-chain';

/**
 * The checkpoint rules, written here from the C2SP specs rather than imported, so that the
 * server's signing and proofs are checked against an independent reading:
 * - a leaf is SHA-256(0x00 ‖ the event's canonical JSON, without prev_hash and hash);
 * - a checkpoint is `<origin>\n<size>\n<base64 root>\n`, then a blank line and signature lines
 *   `— <name> <base64(4-byte key id ‖ Ed25519 signature)>`, signed over the text before the
 *   blank line (c2sp.org/signed-note).
 */

export function leafOfLine(line: EventLine): Buffer {
  const event: Record<string, unknown> = { ...line };
  delete event.prev_hash;
  delete event.hash;
  return createHash('sha256')
    .update(Buffer.from([0]))
    .update(jcs(event), 'utf8')
    .digest();
}

export interface OpenedCheckpoint {
  origin: string;
  size: number;
  root: Buffer;
  /** The signature held under the verifier key. */
  signed: boolean;
}

/** Splits a signed note and checks its one signature with the verifier key text. */
export function openCheckpoint(note: string, verifierKey: string): OpenedCheckpoint {
  const split = note.lastIndexOf('\n\n');
  const text = note.slice(0, split + 1);
  const [origin, size, root] = text.split('\n');
  const [name, idHex, keyB64] = keyParts(verifierKey);
  const key = Buffer.from(keyB64, 'base64');
  const publicKey = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key.subarray(1)]),
    format: 'der',
    type: 'spki',
  });
  let signed = false;
  for (const line of note.slice(split + 2).split('\n')) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const blob = Buffer.from(match[2], 'base64');
    if (blob.subarray(0, 4).toString('hex') !== idHex) continue;
    signed = verifySignature(null, Buffer.from(text, 'utf8'), publicKey, blob.subarray(4));
  }
  return { origin, size: Number(size), root: Buffer.from(root, 'base64'), signed };
}

/** `<name>+<hex id>+<base64 key>`: the base64 may hold "+" too. */
function keyParts(verifierKey: string): [string, string, string] {
  const [name, idHex, ...key] = verifierKey.trim().split('+');
  return [name, idHex, key.join('+')];
}

/** The key id rule of c2sp.org/signed-note: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[0:4]. */
export function keyIdOf(verifierKey: string): string {
  const [name, , keyB64] = keyParts(verifierKey);
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from(keyB64, 'base64')]))
    .digest()
    .subarray(0, 4)
    .toString('hex');
}

/** The hashes of a proof text: every line after the header lines, up to a blank line. */
export function proofHashes(text: string, headerLines: number): Buffer[] {
  const lines = text.split('\n').slice(headerLines);
  const end = lines.indexOf('');
  return lines.slice(0, end === -1 ? undefined : end).map((l) => Buffer.from(l, 'base64'));
}

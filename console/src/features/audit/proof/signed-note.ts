import { concat, fromBase64, sha256, toHex, utf8, type Bytes } from './bytes';

/**
 * C2SP signed notes (c2sp.org/signed-note), Ed25519 only, for the browser: the reading half of
 * src/audit/checkpoints/signed-note.ts, with WebCrypto. A note is UTF-8 text ending in a newline, a blank
 * line, then one line per signature, `— <key name> <base64(4-byte key id ‖ signature)>`. The key
 * id is the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
 */

const ED25519 = 0x01;
export const MAX_NOTE_BYTES = 1 << 20;
export const MAX_SIGNATURES = 100;
const SIGNATURE_PREFIX = '\u2014 ';
// eslint-disable-next-line no-control-regex -- ASCII controls but the newline are refused
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f]/;
const LONE_SURROGATE = /\p{Cs}/u;
const VALID_NAME = /^[^\p{White_Space}+\p{Cc}\p{Cs}]+$/u;

export class NoteKeyError extends Error {
  override readonly name = 'NoteKeyError';
}

export type NoteErrorCode =
  'malformed' | 'too-large' | 'unverified' | 'invalid-signature' | 'ambiguous-key';

export class NoteError extends Error {
  override readonly name = 'NoteError';
  constructor(
    readonly code: NoteErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface NoteVerifier {
  name: string;
  keyIdHex: string;
  text: string;
  verify(message: Bytes, signature: Bytes): Promise<boolean>;
}

export interface NoteSignature {
  name: string;
  keyIdHex: string;
}

async function keyIdOf(name: string, publicKey: Bytes): Promise<string> {
  const digest = await sha256(concat(utf8(`${name}\n`), new Uint8Array([ED25519]), publicKey));
  return toHex(digest.subarray(0, 4));
}

/** A verifier key text, `<name>+<hex id>+<base64(0x01 ‖ 32 bytes)>`, checked and imported. */
export async function parseVerifier(text: string): Promise<NoteVerifier> {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = trimmed.indexOf('+', first + 1);
  if (first < 0 || second < 0) {
    throw new NoteKeyError('a verifier key has the form <name>+<key id>+<base64 key>');
  }
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  if (!VALID_NAME.test(name)) throw new NoteKeyError("the verifier key's name is not valid");
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) {
    throw new NoteKeyError("the verifier key's id must be 8 hex digits");
  }
  const raw = fromBase64(trimmed.slice(second + 1));
  if (raw === null || raw.length === 0)
    throw new NoteKeyError("the verifier key's key is not base64");
  if (raw[0] !== ED25519) throw new NoteKeyError(`only Ed25519 keys are supported, not ${raw[0]}`);
  if (raw.length !== 33) throw new NoteKeyError('the verifier key is not 32 bytes long');
  const publicKey = raw.slice(1);
  const keyIdHex = await keyIdOf(name, publicKey);
  if (keyIdHex !== idHex.toLowerCase()) {
    throw new NoteKeyError(`the verifier key's id ${idHex} is not the id of its name and key`);
  }
  // The key's type is inferred, not named: test/console/console-proof.e2e-spec.ts compiles this file
  // with Node's WebCrypto types, where the DOM's CryptoKey is not a global name.
  const key = await crypto.subtle
    .importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify'])
    .catch((cause: unknown) => {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new NoteKeyError(`this browser cannot verify Ed25519 signatures (${why})`);
    });
  return {
    name,
    keyIdHex,
    text: trimmed,
    verify: async (message, signature) =>
      signature.length === 64 &&
      (await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message)),
  };
}

export interface ParsedNote {
  text: string;
  signatures: (NoteSignature & { signature: Bytes })[];
}

function signatureOf(line: string): NoteSignature & { signature: Bytes } {
  const space = line.indexOf(' ', SIGNATURE_PREFIX.length);
  const name = line.slice(SIGNATURE_PREFIX.length, space);
  const blob = space < 0 ? null : fromBase64(line.slice(space + 1));
  if (!line.startsWith(SIGNATURE_PREFIX) || !VALID_NAME.test(name) || !blob || blob.length < 5) {
    throw new NoteError('malformed', 'a signature line is not "— <key name> <base64>"');
  }
  return { name, keyIdHex: toHex(blob.subarray(0, 4)), signature: blob.slice(4) };
}

/** A note's text and signature lines, not verified. */
export function readNote(note: string): ParsedNote {
  if (utf8(note).length > MAX_NOTE_BYTES) {
    throw new NoteError('too-large', `the note is over ${MAX_NOTE_BYTES} bytes`);
  }
  if (LONE_SURROGATE.test(note)) throw new NoteError('malformed', 'the note is not UTF-8 text');
  if (CONTROL_BUT_NEWLINE.test(note)) {
    throw new NoteError('malformed', 'the note holds a control character other than newline');
  }
  const split = note.lastIndexOf('\n\n');
  const block = split < 0 ? '' : note.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) {
    throw new NoteError('malformed', 'the note has no signature lines after a blank line');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) {
    throw new NoteError('malformed', `the note has over ${MAX_SIGNATURES} signatures`);
  }
  return { text: note.slice(0, split + 1), signatures: lines.map(signatureOf) };
}

export interface OpenedNote {
  text: string;
  verified: NoteSignature[];
  unverified: NoteSignature[];
}

/**
 * Opens a note with the keys one trusts: a trusted key's signature must verify wherever it
 * appears, signatures by other keys are ignored, and at least one trusted key must have signed.
 */
export async function openNote(
  note: string,
  trusted: readonly NoteVerifier[],
): Promise<OpenedNote> {
  const { text, signatures } = readNote(note);
  const message = utf8(text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const { name, keyIdHex, signature } of signatures) {
    const id = `${name}+${keyIdHex}`;
    const keys = new Map(
      trusted.filter((v) => v.name === name && v.keyIdHex === keyIdHex).map((v) => [v.text, v]),
    );
    if (keys.size > 1) throw new NoteError('ambiguous-key', `two trusted keys are ${id}`);
    const [key] = keys.values();
    if (!key) {
      if (!seen.has(id)) unverified.push({ name, keyIdHex });
    } else if (!(await key.verify(message, signature))) {
      throw new NoteError('invalid-signature', `the signature by ${id} does not verify`);
    } else if (!seen.has(id)) {
      verified.push({ name, keyIdHex });
    }
    seen.add(id);
  }
  if (verified.length === 0) {
    const by = unverified.map((s) => `${s.name}+${s.keyIdHex}`).join(', ');
    throw new NoteError(
      'unverified',
      `no trusted key signed the note (signed by ${by || 'no one'})`,
    );
  }
  return { text, verified, unverified };
}

import {
  checkName,
  strictBase64,
  VALID_NAME,
  type NoteSigner,
  type NoteVerifier,
} from './note-keys';

export {
  generateSigner,
  NoteKeyError,
  parseSigner,
  parseVerifier,
  type NoteSigner,
  type NoteVerifier,
} from './note-keys';

/**
 * C2SP signed notes (c2sp.org/signed-note; golang.org/x/mod/sumdb/note writes the same bytes),
 * with Ed25519 keys only. A note is UTF-8 text ending in a newline; its signed form adds a blank
 * line and one line per signature, `— <key name> <base64(4-byte key id ‖ signature)>`. The key id
 * is the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), a big-endian uint32. Tested
 * against Go's published PeterNeumann note (`signed-note.spec.ts`).
 */

/** Notes past this are refused unread: the spec asks for a bound, and a checkpoint is ~200 bytes. */
export const MAX_NOTE_BYTES = 1 << 20;
/** Go's bound; the spec asks that at least 16 be accepted. */
export const MAX_SIGNATURES = 100;
const SIGNATURE_PREFIX = '\u2014 ';
// eslint-disable-next-line no-control-regex -- ASCII controls but the newline are what is refused
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f]/;
/** A lone surrogate: a JavaScript string that has no UTF-8 form. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why `openNote` refused a note: `malformed` (bad UTF-8, a control character, no signature block,
 * a bad line), `too-large`, `unverified` (no trusted key signed it), `invalid-signature` (a
 * trusted key's name and id, a signature that does not verify), `ambiguous-key` (two trusted keys
 * share a name and an id).
 */
export type NoteErrorCode =
  'malformed' | 'too-large' | 'unverified' | 'invalid-signature' | 'ambiguous-key';

/** A note refused by `openNote`, with why. */
export class NoteError extends Error {
  override readonly name = 'NoteError';
  constructor(
    readonly code: NoteErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** One signature line of a note, by whom: its key's name and id. */
export interface NoteSignature {
  name: string;
  keyIdHex: string;
}

/** UTF-8 with no ASCII control character but the newline: what every note must be. */
function noteChars(note: string): string | null {
  if (LONE_SURROGATE.test(note)) return 'it is not UTF-8 text';
  if (CONTROL_BUT_NEWLINE.test(note)) return 'it holds a control character other than newline';
  return null;
}

/**
 * The signed note: `text`, a blank line, then one signature line per signer. The text must end
 * with a newline; it may hold blank lines (a reader splits at the last one).
 */
export function signNote(text: string, ...signers: NoteSigner[]): string {
  const bad = noteChars(text) ?? (text.endsWith('\n') ? null : 'it does not end with a newline');
  if (bad !== null) throw new NoteError('malformed', `cannot sign this text: ${bad}`);
  if (signers.length === 0) throw new RangeError('a note needs at least one signer');
  const message = Buffer.from(text, 'utf8');
  const lines = signers.map((signer) => {
    checkName(signer.name);
    const blob = Buffer.concat([
      Buffer.from(signer.verifier.keyIdHex, 'hex'),
      signer.sign(message),
    ]);
    return `${SIGNATURE_PREFIX}${signer.name} ${blob.toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/** A note's text and signature lines, read but not verified. */
export interface ParsedNote {
  text: string;
  signatures: (NoteSignature & { signature: Buffer })[];
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The parts of a signed note, its signatures unchecked: a note's text must not be trusted until
 * `openNote` has verified a signature by a trusted key. Throws a `NoteError` when the note is
 * malformed. Bytes are decoded strictly, so that invalid UTF-8 is refused, not replaced.
 */
export function readNote(note: string | Uint8Array): ParsedNote {
  const size = typeof note === 'string' ? Buffer.byteLength(note, 'utf8') : note.length;
  if (size > MAX_NOTE_BYTES) {
    throw new NoteError('too-large', `the note is over ${MAX_NOTE_BYTES} bytes`);
  }
  let text: string;
  try {
    text = typeof note === 'string' ? note : UTF8.decode(note);
  } catch {
    throw new NoteError('malformed', 'the note is not UTF-8 text');
  }
  const bad = noteChars(text);
  if (bad !== null) throw new NoteError('malformed', `the note is malformed: ${bad}`);
  const split = text.lastIndexOf('\n\n');
  const block = split < 0 ? '' : text.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) {
    throw new NoteError('malformed', 'the note has no signature lines after a blank line');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) {
    throw new NoteError('malformed', `the note has over ${MAX_SIGNATURES} signatures`);
  }
  return { text: text.slice(0, split + 1), signatures: lines.map(signatureOf) };
}

function signatureOf(line: string): NoteSignature & { signature: Buffer } {
  const space = line.indexOf(' ', SIGNATURE_PREFIX.length);
  const name = line.slice(SIGNATURE_PREFIX.length, space);
  const blob = space < 0 ? null : strictBase64(line.slice(space + 1));
  if (!line.startsWith(SIGNATURE_PREFIX) || !VALID_NAME.test(name) || !blob || blob.length < 5) {
    throw new NoteError('malformed', 'a signature line is not "— <key name> <base64>"');
  }
  return { name, keyIdHex: blob.subarray(0, 4).toString('hex'), signature: blob.subarray(4) };
}

export interface OpenedNote {
  /** The text the signatures cover: trusted, since a trusted key's signature verified. */
  text: string;
  /** The trusted keys whose signatures verified, each once. */
  verified: NoteSignature[];
  /** Signatures by keys not trusted here: ignored, neither verified nor refused. */
  unverified: NoteSignature[];
}

/**
 * Opens a signed note with the keys one trusts (c2sp.org/signed-note, "Signatures"). A
 * signature by an untrusted key is ignored, even one that shares a name or an id (not both) with
 * a trusted key. Refused, with a `NoteError`: a malformed note, a signature by a trusted name and
 * id that does not verify (checked every time it appears, where Go checks a key's first only),
 * and a note that no trusted key signed.
 */
export function openNote(note: string | Uint8Array, trusted: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = readNote(note);
  const message = Buffer.from(text, 'utf8');
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
    } else if (!key.verify(message, signature)) {
      throw new NoteError('invalid-signature', `the signature by ${id} does not verify`);
    } else if (!seen.has(id)) {
      verified.push({ name, keyIdHex });
    }
    seen.add(id);
  }
  if (verified.length === 0) {
    const by = unverified.map((s) => `${s.name}+${s.keyIdHex}`).join(', ');
    throw new NoteError('unverified', `no trusted key signed the note (signed by ${by})`);
  }
  return { text, verified, unverified };
}

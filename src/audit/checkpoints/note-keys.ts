import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';

/**
 * The keys of C2SP signed notes (c2sp.org/signed-note), Ed25519 only: a verifier key's text
 * `<name>+<hex id>+<base64(0x01 ‖ public key)>` and a signer key's `PRIVATE+KEY+` form, read and
 * made. The key id is the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key). The notes
 * they sign are signed-note.ts's.
 */

const ED25519 = 0x01;
/** The DER prefixes that wrap a raw Ed25519 seed (PKCS#8) or public key (SPKI) for node:crypto. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SIGNER_PREFIX = 'PRIVATE+KEY+';
/** Go's isValidName (non-empty, no Unicode space, no "+"), and no control character either. */
export const VALID_NAME = /^[^\p{White_Space}+\p{Cc}\p{Cs}]+$/u;

/** A key text that is not one: the message says what is wrong, never the key's secret part. */
export class NoteKeyError extends Error {
  override readonly name = 'NoteKeyError';
}

export interface NoteVerifier {
  name: string;
  /** The key id, a big-endian uint32, as 8 lowercase hex digits. */
  keyIdHex: string;
  /** `<name>+<hex id>+<base64(0x01 ‖ public key)>`. */
  text: string;
  verify(message: Buffer, signature: Buffer): boolean;
}

export interface NoteSigner {
  name: string;
  verifier: NoteVerifier;
  sign(message: Buffer): Buffer;
}

export function checkName(name: string): void {
  if (!VALID_NAME.test(name)) {
    throw new NoteKeyError(
      'a key name must be non-empty UTF-8 with no "+", no whitespace and no control character',
    );
  }
}

function keyIdOf(name: string, publicKey: Buffer): string {
  return createHash('sha256')
    .update(`${name}\n`, 'utf8')
    .update(Buffer.from([ED25519]))
    .update(publicKey)
    .digest()
    .subarray(0, 4)
    .toString('hex');
}

function verifierOf(name: string, publicKey: Buffer): NoteVerifier {
  // Any 32 bytes import (OpenSSL checks the point only as it verifies).
  const spki = Buffer.concat([SPKI_PREFIX, publicKey]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const keyIdHex = keyIdOf(name, publicKey);
  return {
    name,
    keyIdHex,
    text: `${name}+${keyIdHex}+${Buffer.concat([Buffer.from([ED25519]), publicKey]).toString('base64')}`,
    verify: (message, signature) =>
      signature.length === 64 && verify(null, message, key, signature),
  };
}

function signerOf(name: string, seed: Buffer): NoteSigner {
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return {
    name,
    verifier: verifierOf(name, spki.subarray(spki.length - 32)),
    sign: (message) => sign(null, message, key),
  };
}

/** Standard base64 in its one canonical spelling (Buffer.from alone skips bad characters). */
export function strictBase64(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

/**
 * `<name>+<hex id>+<base64(0x01 ‖ 32 bytes)>`, cut as Go cuts it: the name and the id end at the
 * first two "+" (the base64 may hold more). Answers the 32 key bytes and the id as written.
 */
function keyParts(text: string, what: string): { name: string; key: Buffer; idHex: string } {
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  if (first < 0 || second < 0) {
    throw new NoteKeyError(`a ${what} key has the form <name>+<key id>+<base64 key>`);
  }
  const name = text.slice(0, first);
  const idHex = text.slice(first + 1, second);
  checkName(name);
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) {
    throw new NoteKeyError(`the ${what} key's id must be 8 hex digits`);
  }
  const raw = strictBase64(text.slice(second + 1));
  if (raw === null || raw.length === 0) {
    throw new NoteKeyError(`the ${what} key's key part is not base64`);
  }
  if (raw[0] !== ED25519) {
    throw new NoteKeyError(`only Ed25519 keys (algorithm 1) are supported, not ${raw[0]}`);
  }
  if (raw.length !== 33) throw new NoteKeyError(`the ${what} key is not 32 bytes long`);
  return { name, key: raw.subarray(1), idHex: idHex.toLowerCase() };
}

/** A verifier key's text, checked: its id must be the one its name and key give. */
export function parseVerifier(text: string): NoteVerifier {
  // Surrounding whitespace is never part of a key (no part may hold any): a pasted line's.
  const { name, key, idHex } = keyParts(text.trim(), 'verifier');
  const verifier = verifierOf(name, key);
  if (verifier.keyIdHex !== idHex) {
    throw new NoteKeyError(`the verifier key's id ${idHex} is not the id of its name and key`);
  }
  return verifier;
}

/** A signer key's text (`PRIVATE+KEY+…`). Its errors never echo the key's secret part. */
export function parseSigner(text: string): NoteSigner {
  const trimmed = text.trim();
  if (!trimmed.startsWith(SIGNER_PREFIX)) {
    throw new NoteKeyError(`a signer key starts with ${SIGNER_PREFIX}`);
  }
  const { name, key, idHex } = keyParts(trimmed.slice(SIGNER_PREFIX.length), 'signer');
  const signer = signerOf(name, key);
  // The id is of the public key, which only the seed gives: checked once it is derived.
  if (signer.verifier.keyIdHex !== idHex) {
    throw new NoteKeyError(`the signer key's id ${idHex} is not the id of its name and key`);
  }
  return signer;
}

/** A new Ed25519 key pair, as signer and verifier key texts. */
export function generateSigner(name: string): { signerKey: string; verifierKey: string } {
  checkName(name);
  const seed = randomBytes(32);
  const signer = signerOf(name, seed);
  const encoded = Buffer.concat([Buffer.from([ED25519]), seed]).toString('base64');
  return {
    signerKey: `${SIGNER_PREFIX}${name}+${signer.verifier.keyIdHex}+${encoded}`,
    verifierKey: signer.verifier.text,
  };
}

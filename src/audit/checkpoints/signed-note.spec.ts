import { createHash } from 'node:crypto';
import {
  generateSigner,
  MAX_NOTE_BYTES,
  NoteError,
  NoteErrorCode,
  NoteVerifier,
  openNote,
  parseSigner,
  parseVerifier,
  readNote,
  signNote,
} from './signed-note';

/**
 * Go's published vectors (golang.org/x/mod, sumdb/note/note_test.go, TestSign and TestOpen; also
 * in the package's documentation): the PeterNeumann and EnochRoot keys and their signatures of
 * one text, byte for byte.
 */
const SIGNER = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const VERIFIER = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';
const SIGNED = `${TEXT}\n${PETER_SIG}`;

const peter = { name: 'PeterNeumann', keyIdHex: 'c74f20a3' };
const enoch = { name: 'EnochRoot', keyIdHex: 'af0cfe78' };

/** The code of the NoteError `fn` throws; fails the test when it throws none, or another error. */
function refusal(fn: () => unknown): NoteErrorCode {
  try {
    fn();
  } catch (e) {
    if (e instanceof NoteError) return e.code;
    throw e;
  }
  throw new Error('expected a NoteError, got none');
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe(signNote.name, () => {
  it("signs Go's example text byte for byte, under the verifier key its signer implies", () => {
    const sut = parseSigner(SIGNER);
    expect(sut.name).toBe('PeterNeumann');
    expect(sut.verifier.text).toBe(VERIFIER);
    expect(sut.verifier.keyIdHex).toBe('c74f20a3');
    expect(signNote(TEXT, sut)).toBe(SIGNED);
  });

  it('writes one line per signer, in order, and each opens on its own', () => {
    const other = generateSigner('example.com/witness');
    const note = signNote(TEXT, parseSigner(SIGNER), parseSigner(other.signerKey));
    expect(note.startsWith(SIGNED)).toBe(true);
    expect(openNote(note, [parseVerifier(other.verifierKey)]).unverified).toEqual([peter]);
  });

  it.each([
    ['no final newline', 'a'],
    ['a control character', 'tab\there\n'],
    ['a carriage return', 'a\r\n'],
    ['a lone surrogate (no UTF-8 form)', '\ud800\n'],
  ])('refuses a text with %s', (_, text) => {
    expect(refusal(() => signNote(text, parseSigner(SIGNER)))).toBe('malformed');
  });

  it('signs a text with blank lines: a reader splits at the last one', () => {
    const text = 'a\n\nb\n\n';
    const note = signNote(text, parseSigner(SIGNER));
    expect(openNote(note, [parseVerifier(VERIFIER)]).text).toBe(text);
  });
});

describe(openNote.name, () => {
  const peterKey = parseVerifier(VERIFIER);
  const enochKey = parseVerifier(ENOCH);
  const both = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;

  it("opens Go's notes: trusted signatures verified, the others listed and ignored", () => {
    expect(openNote(SIGNED, [peterKey])).toEqual({ text: TEXT, verified: [peter], unverified: [] });
    expect(openNote(both, [peterKey])).toEqual({
      text: TEXT,
      verified: [peter],
      unverified: [enoch],
    });
    expect(openNote(both, [peterKey, enochKey]).verified).toEqual([peter, enoch]);
    expect(openNote(Buffer.from(both), [enochKey, enochKey]).verified).toEqual([enoch]);
  });

  it('refuses a note that no trusted key signed', () => {
    expect(refusal(() => openNote(both, []))).toBe('unverified');
    // Another key of the same name, or of the same id under another name, is not the key.
    const sameName = parseVerifier(generateSigner('PeterNeumann').verifierKey);
    expect(refusal(() => openNote(SIGNED, [sameName]))).toBe('unverified');
    const renamed = SIGNED.replace('PeterNeumann', 'CarmenSandiego');
    expect(refusal(() => openNote(renamed, [peterKey]))).toBe('unverified');
  });

  it('refuses every note in which any one byte changed', () => {
    const bytes = Buffer.from(SIGNED, 'utf8');
    const opened: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const altered = Buffer.from(bytes);
      altered[i] = (altered[i] + 1) % 256;
      if (messageOf(() => openNote(altered, [peterKey])) === '') opened.push(i);
    }
    expect(opened).toEqual([]);
  });

  it('refuses a trusted key whose signature does not verify, even beside a good one', () => {
    const bad = `${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    expect(refusal(() => openNote(`${TEXT}\n${bad}`, [peterKey]))).toBe('invalid-signature');
    // Go checks a key's first signature only; c2sp.org/signed-note says each must verify.
    expect(refusal(() => openNote(`${SIGNED}${bad}`, [peterKey]))).toBe('invalid-signature');
    // The same signature twice is one verified signature.
    expect(openNote(`${SIGNED}${PETER_SIG}`, [peterKey]).verified).toEqual([peter]);
  });

  it('refuses two different trusted keys that share a name and an id', () => {
    const twin: NoteVerifier = { ...peterKey, text: `${VERIFIER}x`, verify: () => true };
    expect(refusal(() => openNote(SIGNED, [peterKey, twin]))).toBe('ambiguous-key');
  });

  it.each([
    ['the text alone', TEXT],
    ['no signature lines', `${TEXT}\n`],
    ['no final newline', `${TEXT}\n${PETER_SIG.slice(0, -1)}`],
    ['a control character', `\x01${SIGNED}`],
    ['a name with a space', `${TEXT}\n${PETER_SIG.replace('PeterNeumann', 'Bad Name')}`],
    ['a line that is no signature', `${SIGNED}Unexpected line.\n`],
    ['an empty signature', `${TEXT}\n— PeterNeumann \n`],
    ['base64 too short for a key id', `${TEXT}\n— PeterNeumann AAAA\n`],
    ['101 signatures', `${TEXT}\n${PETER_SIG.repeat(101)}`],
  ])('refuses a malformed note: %s', (_, note) => {
    expect(refusal(() => openNote(note, [peterKey]))).toBe('malformed');
  });

  it('refuses bytes that are not UTF-8, and a note over 1 MiB, unread', () => {
    const invalid = Buffer.concat([Buffer.from([0xff]), Buffer.from(SIGNED)]);
    expect(refusal(() => openNote(invalid, [peterKey]))).toBe('malformed');
    const huge = `${'a'.repeat(MAX_NOTE_BYTES)}\n\n${PETER_SIG}`;
    expect(refusal(() => openNote(huge, [peterKey]))).toBe('too-large');
  });

  it('reads a note unverified, for a reader who only looks', () => {
    expect(readNote(both).signatures.map(({ name, keyIdHex }) => ({ name, keyIdHex }))).toEqual([
      peter,
      enoch,
    ]);
  });
});

describe(parseVerifier.name, () => {
  it("accepts Go's key, and refuses every piece of it and every one-byte change", () => {
    expect(parseVerifier(VERIFIER)).toMatchObject(peter);
    // Go reads the id as a hex number, so capitals name the same key.
    expect(parseVerifier(VERIFIER.replace('c74f20a3', 'C74F20A3')).text).toBe(VERIFIER);
    const bytes = Buffer.from(VERIFIER);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i + 1; j <= bytes.length; j++) {
        if (i === 0 && j === bytes.length) continue;
        const piece = bytes.subarray(i, j).toString();
        expect({ piece, ok: messageOf(() => parseVerifier(piece)) === '' }).toEqual({
          piece,
          ok: false,
        });
      }
      if (i === bytes.length) continue;
      const changed = Buffer.from(bytes);
      changed[i]++;
      expect(messageOf(() => parseVerifier(changed.toString()))).not.toBe('');
    }
  });

  it.each([
    [
      'a key of the wrong length',
      'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==',
    ],
    ['another algorithm', 'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
  ])("refuses Go's bad key with %s, its id adjusted", (_, key) => {
    expect(messageOf(() => parseVerifier(key))).not.toBe('');
  });

  it('gives each key the id of the key id rule: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]', () => {
    for (const text of [VERIFIER, ENOCH, generateSigner('latchkey.example.com').verifierKey]) {
      const [name, id] = text.split('+');
      const key = Buffer.from(text.slice(name.length + id.length + 2), 'base64');
      const rule = createHash('sha256').update(`${name}\n`).update(key).digest();
      expect(parseVerifier(text).keyIdHex).toBe(rule.subarray(0, 4).toString('hex'));
      expect(id).toBe(rule.readUInt32BE(0).toString(16).padStart(8, '0'));
    }
  });
});

describe(parseSigner.name, () => {
  it("refuses every piece of Go's signer key and every one-byte change", () => {
    const bytes = Buffer.from(SIGNER);
    for (let i = 0; i < bytes.length; i++) {
      for (let j = i + 1; j <= bytes.length; j++) {
        if (i === 0 && j === bytes.length) continue;
        expect(messageOf(() => parseSigner(bytes.subarray(i, j).toString()))).not.toBe('');
      }
      const changed = Buffer.from(bytes);
      changed[i]++;
      expect(messageOf(() => parseSigner(changed.toString()))).not.toBe('');
    }
  });

  it.each([
    ['no prefix', SIGNER.replace('PRIVATE+KEY+', '')],
    ['a wrong id', SIGNER.replace('c74f20a3', 'c74f20a4')],
    ['a short key', 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFA=='],
    ['another algorithm', SIGNER.replace('+AYEK', '+AoEK')],
    ['a name with a space', SIGNER.replace('PeterNeumann', 'Peter Neumann')],
    ['a verifier key', VERIFIER],
  ])('refuses a signer key with %s, and never echoes its secret', (_, key) => {
    const message = messageOf(() => parseSigner(key));
    expect(message).not.toBe('');
    expect(message).not.toContain('AYEKFALVFGyNhPJEMzD1QIDr');
    expect(message).not.toContain('Y7hfZx09iUvxdXHKDFz');
  });
});

describe(generateSigner.name, () => {
  it('makes a key pair that round-trips: its signer signs what its verifier opens', () => {
    const { signerKey, verifierKey } = generateSigner('latchkey.example.com');
    expect(signerKey).toMatch(/^PRIVATE\+KEY\+latchkey\.example\.com\+[0-9a-f]{8}\+A/);
    const sut = parseSigner(signerKey);
    expect(sut.verifier.text).toBe(verifierKey);
    const opened = openNote(signNote('hello\n', sut), [parseVerifier(verifierKey)]);
    expect(opened).toEqual({
      text: 'hello\n',
      verified: [{ name: 'latchkey.example.com', keyIdHex: sut.verifier.keyIdHex }],
      unverified: [],
    });
  });

  it.each([
    ['empty', ''],
    ['a space', 'a b'],
    ['a plus', 'a+b'],
    ['a tab', 'a\tb'],
    ['a no-break space', 'a\u00a0b'],
    ['a line separator', 'a\u2028b'],
    ['a control character', 'a\u0007b'],
    ['a lone surrogate', 'a\ud800'],
  ])('refuses a key name with %s', (_, name) => {
    expect(() => generateSigner(name)).toThrow(/key name/);
  });

  it('accepts any other UTF-8 name, as a URL without a scheme is recommended', () => {
    for (const name of ['example.com/log42', 'https://latchkey.test', 'löggé']) {
      expect(parseVerifier(generateSigner(name).verifierKey).name).toBe(name);
    }
  });
});

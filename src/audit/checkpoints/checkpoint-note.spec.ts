import { createHash } from 'node:crypto';
import {
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  readCheckpointUnverified,
  signCheckpoint,
} from './checkpoint-note';
import { generateSigner, NoteError, parseSigner, parseVerifier, signNote } from './signed-note';

/**
 * A real signed tree head of sum.golang.org (as quoted in transparency-dev/trillian-tessera,
 * internal/parse/parse_test.go, with the final newline its benchmark drops), under the key the
 * go command has built in (cmd/go/internal/modfetch/key.go). Its origin holds spaces: the spec
 * only recommends against them.
 */
const SUMDB_KEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
const SUMDB_ROOT = 'qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=';
const SUMDB_NOTE =
  `go.sum database tree\n31700353\n${SUMDB_ROOT}\n\n` +
  '— sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n';

const root = createHash('sha256').update('root').digest();
const b64 = root.toString('base64');

describe(parseCheckpoint.name, () => {
  it("reads the spec's example, and what formatCheckpoint writes", () => {
    const example =
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    expect(parseCheckpoint(example)).toMatchObject({
      origin: 'example.com/behind-the-sofa',
      size: 20852163,
      extensions: [],
    });
    const text = formatCheckpoint({ origin: 'example.com/log', size: 109482, root });
    expect(text).toBe(`example.com/log\n109482\n${b64}\n`);
    expect(parseCheckpoint(text)).toEqual({
      origin: 'example.com/log',
      size: 109482,
      root,
      extensions: [],
    });
  });

  it('keeps extension lines, and writes them back', () => {
    const text = formatCheckpoint({ origin: 'o', size: 0, root, extensions: ['x y', 'z'] });
    expect(text).toBe(`o\n0\n${b64}\nx y\nz\n`);
    expect(parseCheckpoint(text).extensions).toEqual(['x y', 'z']);
  });

  it.each([
    ['no final newline', `o\n1\n${b64}`],
    ['no root', 'o\n1\n'],
    ['an empty origin', `\n1\n${b64}\n`],
    ['a leading zero', `o\n01\n${b64}\n`],
    ['a sign', `o\n+1\n${b64}\n`],
    ['a negative size', `o\n-1\n${b64}\n`],
    ['a size past 2^53', `o\n9007199254740993\n${b64}\n`],
    ['a size with a space', `o\n1 \n${b64}\n`],
    ['a hex size', `o\n0x10\n${b64}\n`],
    ['a 31-byte root', `o\n1\n${root.subarray(1).toString('base64')}\n`],
    ['a 33-byte root', `o\n1\n${Buffer.concat([root, root.subarray(0, 1)]).toString('base64')}\n`],
    ['a root in URL-safe base64', `o\n1\n${b64.replace(/\+/g, '-').replace(/\//g, '_')}\n`],
    ['a root without padding', `o\n1\n${b64.replace(/=+$/, '')}\n`],
    ['a root with a space', `o\n1\n ${b64}\n`],
    ['an empty extension line', `o\n1\n${b64}\n\nx\n`],
  ])('refuses a checkpoint with %s', (_, text) => {
    expect(() => parseCheckpoint(text)).toThrow();
  });

  it('refuses to write what it would not read', () => {
    expect(() => formatCheckpoint({ origin: '', size: 1, root })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: 'a\nb', size: 1, root })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: 'o', size: -1, root })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1.5, root })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, root: root.subarray(1) })).toThrow(
      RangeError,
    );
    expect(() => formatCheckpoint({ origin: 'o', size: 1, root, extensions: [''] })).toThrow(
      RangeError,
    );
  });
});

describe(openCheckpoint.name, () => {
  it('opens a real sum.golang.org tree head under the go command’s key', () => {
    const sut = openCheckpoint(SUMDB_NOTE, [parseVerifier(SUMDB_KEY)]);
    expect(sut).toMatchObject({ origin: 'go.sum database tree', size: 31700353, extensions: [] });
    expect(sut.root.toString('base64')).toBe(SUMDB_ROOT);
    expect(sut.note.verified).toEqual([{ name: 'sum.golang.org', keyIdHex: '033de0ae' }]);
  });

  it('refuses it once its size or root is changed, or under another key', () => {
    const key = parseVerifier(SUMDB_KEY);
    expect(() => openCheckpoint(SUMDB_NOTE.replace('31700353', '31700354'), [key])).toThrow(
      /does not verify/,
    );
    const otherRoot = SUMDB_NOTE.replace('qINS1', 'qINS2');
    expect(() => openCheckpoint(otherRoot, [key])).toThrow(NoteError);
    const stranger = parseVerifier(generateSigner('sum.golang.org').verifierKey);
    expect(() => openCheckpoint(SUMDB_NOTE, [stranger])).toThrow(/no trusted key/);
  });

  it('signs a checkpoint that opens under its verifier key, and nothing else', () => {
    const { signerKey, verifierKey } = generateSigner('latchkey.example.com');
    const note = signCheckpoint(
      { origin: 'latchkey.example.com/audit/x', size: 7, root },
      parseSigner(signerKey),
    );
    expect(
      note.startsWith(`latchkey.example.com/audit/x\n7\n${b64}\n\n— latchkey.example.com `),
    ).toBe(true);
    expect(openCheckpoint(note, [parseVerifier(verifierKey)])).toMatchObject({
      origin: 'latchkey.example.com/audit/x',
      size: 7,
      root,
    });
  });

  it('refuses a note that verifies but whose text is no checkpoint', () => {
    const { signerKey, verifierKey } = generateSigner('k');
    const note = signNote('o\n01\nAAAA\n', parseSigner(signerKey));
    expect(() => openCheckpoint(note, [parseVerifier(verifierKey)])).toThrow(/leading zeros/);
    expect(() => readCheckpointUnverified(note)).toThrow(/leading zeros/);
  });
});

describe(readCheckpointUnverified.name, () => {
  it('reads a checkpoint and who signed it, without a key', () => {
    expect(readCheckpointUnverified(SUMDB_NOTE)).toMatchObject({
      origin: 'go.sum database tree',
      size: 31700353,
      signatures: [{ name: 'sum.golang.org', keyIdHex: '033de0ae' }],
    });
  });
});

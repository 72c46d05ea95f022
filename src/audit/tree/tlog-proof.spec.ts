import { createHash } from 'node:crypto';
import {
  formatConsistencyProof,
  formatInclusionProof,
  parseConsistencyProof,
  parseInclusionProof,
} from './tlog-proof';

const sum = (text: string) => createHash('sha256').update(text).digest();
const [h1, h2] = [sum('hash1'), sum('hash2')];
const [b1, b2] = [h1.toString('base64'), h2.toString('base64')];

describe(formatInclusionProof.name, () => {
  // transparency-dev/formats, proof/tlog_proof_test.go (TestMarshal): the Go writer's bytes.
  it.each([
    [
      'without extra data',
      { index: 5, proof: [h1, h2], checkpoint: 'test checkpoint\n' },
      `c2sp.org/tlog-proof@v1\nindex 5\n${b1}\n${b2}\n\ntest checkpoint\n`,
    ],
    [
      'with extra data',
      {
        index: 10,
        proof: [h1],
        checkpoint: 'checkpoint data\n',
        extra: Buffer.from('extra information'),
      },
      `c2sp.org/tlog-proof@v1\nextra ${Buffer.from('extra information').toString('base64')}\nindex 10\n${b1}\n\ncheckpoint data\n`,
    ],
    [
      'with no hashes',
      { index: 0, proof: [], checkpoint: 'checkpoint\n' },
      'c2sp.org/tlog-proof@v1\nindex 0\n\ncheckpoint\n',
    ],
  ])('writes a proof %s as the Go writer does, and reads it back', (_, proof, text) => {
    expect(formatInclusionProof(proof)).toBe(text);
    expect(parseInclusionProof(text)).toEqual(proof);
  });

  it('refuses what it could not read back', () => {
    const ok = { index: 0, proof: [h1], checkpoint: 'cp\n' };
    expect(() => formatInclusionProof({ ...ok, index: -1 })).toThrow(RangeError);
    expect(() => formatInclusionProof({ ...ok, proof: [h1.subarray(1)] })).toThrow(RangeError);
    expect(() => formatInclusionProof({ ...ok, checkpoint: 'cp' })).toThrow(RangeError);
  });
});

describe(parseInclusionProof.name, () => {
  it("reads the spec's example shape, with a cosigned checkpoint holding blank lines", () => {
    const checkpoint = `example.com/fancylog\n109482\n${b1}\n\n— example.com/fancylog AAAA\n`;
    const text = `c2sp.org/tlog-proof@v1\nextra YWdl\nindex 73894\n${b1}\n${b2}\n\n${checkpoint}`;
    expect(parseInclusionProof(text)).toEqual({
      index: 73894,
      proof: [h1, h2],
      checkpoint,
      extra: Buffer.from('age'),
    });
  });

  it('reads an empty extra as empty data', () => {
    expect(parseInclusionProof('c2sp.org/tlog-proof@v1\nextra \nindex 0\n\ncp\n').extra).toEqual(
      Buffer.alloc(0),
    );
  });

  // transparency-dev/formats' TestUnmarshalErrors, and the spellings Latchkey never writes.
  it.each([
    ['a wrong header', 'wrong-header\nindex 0\n\ncheckpoint\n'],
    ['a later version', 'c2sp.org/tlog-proof@v2\nindex 0\n\ncheckpoint\n'],
    [
      'extra data not base64',
      'c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\ncheckpoint\n',
    ],
    ['no index', 'c2sp.org/tlog-proof@v1\n\n\ncheckpoint\n'],
    ['an index that is no number', 'c2sp.org/tlog-proof@v1\nindex notanumber\n\ncheckpoint\n'],
    ['a negative index', 'c2sp.org/tlog-proof@v1\nindex -5\n\ncheckpoint\n'],
    ['an index with a leading zero', 'c2sp.org/tlog-proof@v1\nindex 01\n\ncheckpoint\n'],
    ['an index past 2^53', 'c2sp.org/tlog-proof@v1\nindex 9007199254740993\n\ncheckpoint\n'],
    ['a hash not base64', 'c2sp.org/tlog-proof@v1\nindex 0\n!!notbase64!!\n\ncheckpoint\n'],
    [
      'a 64-byte hash',
      `c2sp.org/tlog-proof@v1\nindex 0\n${Buffer.alloc(64).toString('base64')}\n\ncp\n`,
    ],
    [
      'a hash in URL-safe base64',
      `c2sp.org/tlog-proof@v1\nindex 0\n${b1.replace(/\//g, '_')}\n\ncp\n`,
    ],
    ['a carriage return', `c2sp.org/tlog-proof@v1\r\nindex 0\r\n\r\ncp\r\n`],
    ['no checkpoint', 'c2sp.org/tlog-proof@v1\nindex 0\n'],
    ['no blank line before the checkpoint', `c2sp.org/tlog-proof@v1\nindex 0\n${b1}\n`],
    ['a checkpoint with no final newline', 'c2sp.org/tlog-proof@v1\nindex 0\n\ncp'],
  ])('refuses a proof with %s', (_, text) => {
    expect(() => parseInclusionProof(text)).toThrow();
  });
});

describe(formatConsistencyProof.name, () => {
  it('writes the header, the two sizes and one hash a line, and reads them back', () => {
    const text = formatConsistencyProof({ from: 3, to: 9, proof: [h1, h2] });
    expect(text).toBe(`latchkey.audit-consistency@v1\nold 3\nnew 9\n${b1}\n${b2}\n`);
    expect(parseConsistencyProof(text)).toEqual({ from: 3, to: 9, proof: [h1, h2] });
    const empty = formatConsistencyProof({ from: 4, to: 4, proof: [] });
    expect(empty).toBe('latchkey.audit-consistency@v1\nold 4\nnew 4\n');
    expect(parseConsistencyProof(empty)).toEqual({ from: 4, to: 4, proof: [] });
  });

  it('refuses sizes out of order, and hashes of the wrong length', () => {
    expect(() => formatConsistencyProof({ from: 5, to: 4, proof: [] })).toThrow(RangeError);
    expect(() => formatConsistencyProof({ from: 0.5, to: 4, proof: [] })).toThrow(RangeError);
    expect(() => formatConsistencyProof({ from: 1, to: 4, proof: [h1.subarray(2)] })).toThrow(
      RangeError,
    );
  });
});

describe(parseConsistencyProof.name, () => {
  const good = `latchkey.audit-consistency@v1\nold 3\nnew 9\n${b1}\n${b2}\n`;

  it.each([
    ['no final newline', good.slice(0, -1)],
    ['another header', good.replace('@v1', '@v2')],
    ['a negative size', good.replace('old 3', 'old -3')],
    ['a leading zero', good.replace('new 9', 'new 09')],
    [
      'the sizes swapped',
      good.replace('old 3', 'old X').replace('new 9', 'new 3').replace('old X', 'old 9'),
    ],
    ['the size lines swapped', good.replace('old 3\nnew 9', 'new 9\nold 3')],
    ['no new size', 'latchkey.audit-consistency@v1\nold 3\n'],
    ['a blank line', good.replace(`${b1}\n`, `${b1}\n\n`)],
    ['a trailing blank line', `${good}\n`],
    ['a short hash', good.replace(b1, h1.subarray(1).toString('base64'))],
    ['a space after a hash', good.replace(`${b1}\n`, `${b1} \n`)],
    ['a carriage return', good.replace(/\n/g, '\r\n')],
  ])('refuses a proof with %s', (_, text) => {
    expect(() => parseConsistencyProof(text)).toThrow();
  });
});

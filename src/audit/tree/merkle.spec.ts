import { createHash } from 'node:crypto';
import {
  consistencyProof,
  EMPTY_ROOT,
  Hash,
  inclusionProof,
  leafHash,
  MerkleFrontier,
  rootFromInclusionProof,
  rootOf,
  verifyConsistency,
} from './merkle';

/**
 * The reference vectors of Certificate Transparency (RFC 6962), as CT's and Trillian's own
 * tests publish them: eight leaves, the root of the tree over the first n, and known inclusion
 * and consistency proofs (leaf indexes 0-based here).
 */
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => Buffer.from(hex, 'hex'));

const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const INCLUSION: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    index: 2,
    size: 3,
    proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'],
  },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

const CONSISTENCY: { from: number; to: number; proof: string[] }[] = [
  { from: 1, to: 1, proof: [] },
  {
    from: 1,
    to: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    from: 6,
    to: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    from: 2,
    to: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    from: 3,
    to: 8,
    proof: [
      '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
      '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
];

const hex = (hashes: Hash[]) => hashes.map((h) => h.toString('hex'));
const unhex = (hashes: string[]): Hash[] => hashes.map((h) => Buffer.from(h, 'hex'));
const hashes = LEAVES.map(leafHash);
const root = (size: number): Hash => Buffer.from(ROOTS[size], 'hex');
/** Leaves of a larger tree, for the round trips. */
const many = (n: number) =>
  Array.from({ length: n }, (_, i) => leafHash(createHash('sha256').update(String(i)).digest()));

describe('RFC 6962 Merkle trees', () => {
  it.each(ROOTS.map((r, size) => [size, r] as const))(
    'gives the published root of the first %i reference leaves',
    (size, expected) => {
      expect(rootOf(hashes.slice(0, size)).toString('hex')).toBe(expected);
    },
  );

  it('keeps the same roots incrementally, one append at a time', () => {
    const frontier = new MerkleFrontier();
    expect(frontier.root().toString('hex')).toBe(ROOTS[0]);
    hashes.forEach((leaf, i) => {
      frontier.append(leaf);
      expect([frontier.size, frontier.root().toString('hex')]).toEqual([i + 1, ROOTS[i + 1]]);
    });
    expect(EMPTY_ROOT.toString('hex')).toBe(ROOTS[0]);
  });

  it.each(INCLUSION)(
    'builds and checks the published inclusion proof of leaf $index in $size',
    ({ index, size, proof }) => {
      const leaves = hashes.slice(0, size);
      expect(hex(inclusionProof(leaves, index))).toEqual(proof);
      expect(rootFromInclusionProof(index, size, hashes[index], unhex(proof))).toEqual(root(size));
    },
  );

  it.each(INCLUSION.filter((v) => v.proof.length > 0))(
    'refuses every altered inclusion proof of leaf $index in $size',
    ({ index, size, proof }) => {
      const good = unhex(proof);
      const wrong = (at: number, sz: number, p: Hash[], leaf = hashes[index]) =>
        rootFromInclusionProof(at, sz, leaf, p)?.equals(root(size)) ?? false;
      expect(wrong(index, size, good)).toBe(true);
      expect(wrong(index + 1, size, good)).toBe(false);
      expect(wrong(index - 1, size, good)).toBe(false);
      expect(wrong(index ^ 2, size, good)).toBe(false);
      expect(wrong(index, size * 2, good)).toBe(false);
      expect(wrong(index, Math.floor(size / 2), good)).toBe(false);
      expect(wrong(index, size, good, leafHash(Buffer.from('WrongLeaf')))).toBe(false);
      for (let i = 0; i < good.length; i++) {
        const altered = [...good];
        altered[i] = EMPTY_ROOT;
        expect(wrong(index, size, altered)).toBe(false);
      }
      expect(wrong(index, size, [...good, EMPTY_ROOT])).toBe(false);
      expect(wrong(index, size, [...good, Buffer.alloc(0)])).toBe(false);
      expect(wrong(index, size, good.slice(0, -1))).toBe(false);
      expect(wrong(index, size, [root(size), ...good])).toBe(false);
    },
  );

  it.each(CONSISTENCY)(
    'builds and checks the published consistency proof from $from to $to',
    ({ from, to, proof }) => {
      expect(hex(consistencyProof(hashes.slice(0, to), from))).toEqual(proof);
      expect(verifyConsistency(from, to, root(from), root(to), unhex(proof))).toBe(true);
    },
  );

  it.each(CONSISTENCY.filter((v) => v.proof.length > 0))(
    'refuses every altered consistency proof from $from to $to',
    ({ from, to, proof }) => {
      const good = unhex(proof);
      const holds = (m: number, n: number, p: Hash[], r1 = root(from), r2 = root(to)) =>
        verifyConsistency(m, n, r1, r2, p);
      expect(holds(from, to, good)).toBe(true);
      expect(holds(from - 1, to, good)).toBe(false);
      expect(holds(from + 1, to, good)).toBe(false);
      expect(holds(from ^ 2, to, good)).toBe(false);
      expect(holds(from, to * 2, good)).toBe(false);
      expect(holds(from, Math.floor(to / 2), good)).toBe(false);
      expect(holds(from, to, good, EMPTY_ROOT)).toBe(false);
      expect(holds(from, to, good, root(from), EMPTY_ROOT)).toBe(false);
      expect(holds(from, to, good, root(to), root(from))).toBe(false);
      expect(holds(from, to, [])).toBe(false);
      for (let i = 0; i < good.length; i++) {
        const altered = [...good];
        altered[i] = EMPTY_ROOT;
        expect(holds(from, to, altered)).toBe(false);
      }
      expect(holds(from, to, [...good, Buffer.alloc(0)])).toBe(false);
      expect(holds(from, to, [...good, root(from)])).toBe(false);
      expect(holds(from, to, good.slice(0, -1))).toBe(false);
      expect(holds(from, to, [good[0], ...good])).toBe(false);
    },
  );

  it('refuses a tree that shrank, and roots that differ at the same size', () => {
    expect(verifyConsistency(2, 1, root(2), root(1), [])).toBe(false);
    expect(verifyConsistency(1, 1, root(1), root(2), [])).toBe(false);
    expect(verifyConsistency(1, 1, root(1), root(1), [root(1)])).toBe(false);
    expect(verifyConsistency(1, 2, root(1), root(2), [])).toBe(false);
    expect(() => consistencyProof(hashes, 9)).toThrow(RangeError);
    expect(() => inclusionProof(hashes, 8)).toThrow(RangeError);
    expect(rootFromInclusionProof(0, 0, hashes[0], [])).toBeNull();
  });

  it('proves every leaf and every prefix of trees up to 40 leaves, and grows as it hashes', () => {
    const leaves = many(40);
    const frontier = new MerkleFrontier();
    for (let n = 1; n <= leaves.length; n++) {
      frontier.append(leaves[n - 1]);
      const tree = leaves.slice(0, n);
      const top = rootOf(tree);
      expect(frontier.root()).toEqual(top);
      for (let i = 0; i < n; i++) {
        expect(rootFromInclusionProof(i, n, tree[i], inclusionProof(tree, i))).toEqual(top);
      }
      for (let m = 0; m <= n; m++) {
        const proof = consistencyProof(tree, m);
        expect(verifyConsistency(m, n, rootOf(tree.slice(0, m)), top, proof)).toBe(true);
      }
    }
  });
});

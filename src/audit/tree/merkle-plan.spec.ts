import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  consistencyProof,
  Hash,
  inclusionProof,
  leafHash,
  MerkleFrontier,
  rootOf,
  verifyConsistency,
} from './merkle';
import {
  consistencyRanges,
  inclusionRanges,
  NodeRef,
  proofFromSubtrees,
  subtreesOf,
} from './merkle-plan';

const leaves = (n: number) =>
  Array.from({ length: n }, (_, i) => leafHash(createHash('sha256').update(`event ${i}`).digest()));

/** A tree stored as the appends store it: every perfect subtree each append completes. */
function storedTree(all: readonly Hash[]) {
  const store = new Map<string, Hash>();
  const frontier = new MerkleFrontier();
  for (const leaf of all) {
    for (const node of frontier.append(leaf)) store.set(`${node.level}/${node.index}`, node.hash);
  }
  const read = (ref: NodeRef) => {
    const hash = store.get(`${ref.level}/${ref.index}`);
    if (!hash) throw new Error(`no stored subtree ${ref.level}/${ref.index}`);
    return hash;
  };
  return { frontier, read, store };
}

const hex = (hashes: Hash[]) => hashes.map((h) => h.toString('hex'));

describe('Merkle proofs from stored subtrees', () => {
  const all = leaves(70);
  const { read, store } = storedTree(all);

  it('stores each perfect subtree once: 2n − popcount(n) of them', () => {
    const popcount = (n: number) => n.toString(2).replace(/0/g, '').length;
    expect(store.size).toBe(2 * 70 - popcount(70));
  });

  it('gives every inclusion proof the leaf list gives, for trees of 1 to 70 leaves', () => {
    for (let size = 1; size <= 70; size++) {
      for (let index = 0; index < size; index++) {
        const fromStore = proofFromSubtrees(inclusionRanges(index, size), read);
        expect(hex(fromStore)).toEqual(hex(inclusionProof(all.slice(0, size), index)));
      }
    }
  });

  it('gives every consistency proof the leaf list gives, for every m ≤ n ≤ 70', () => {
    for (let n = 1; n <= 70; n++) {
      for (let m = 0; m <= n; m++) {
        const fromStore = proofFromSubtrees(consistencyRanges(m, n), read);
        expect(hex(fromStore)).toEqual(hex(consistencyProof(all.slice(0, n), m)));
      }
    }
  });

  it('reads O(log n) subtrees for a proof in a tree of a million leaves', () => {
    const refs = (ranges: ReturnType<typeof inclusionRanges>) => ranges.flatMap(subtreesOf);
    expect(refs(inclusionRanges(654_321, 1_000_000)).length).toBeLessThanOrEqual(40);
    expect(refs(consistencyRanges(123_457, 1_000_000)).length).toBeLessThanOrEqual(40);
  });

  it('refuses an index or sizes no tree has', () => {
    expect(() => inclusionRanges(5, 5)).toThrow(RangeError);
    expect(() => inclusionRanges(-1, 5)).toThrow(RangeError);
    expect(() => consistencyRanges(6, 5)).toThrow(RangeError);
    expect(() => subtreesOf({ start: 3, end: 5 })).toThrow(RangeError);
  });
});

describe(MerkleFrontier.name, () => {
  it('joins runs walked apart into the tree one walk gives, wherever they split', () => {
    const all = leaves(45);
    for (let cut = 0; cut <= 45; cut++) {
      for (const second of [cut, Math.min(45, cut + 7)]) {
        const runs = [new MerkleFrontier(0), new MerkleFrontier(cut), new MerkleFrontier(second)];
        all.forEach((leaf, i) => runs[i < cut ? 0 : i < second ? 1 : 2].append(leaf));
        const joined = runs[0].copy().extend(runs[1]).extend(runs[2]);
        expect(joined.end).toBe(45);
        expect(joined.root().toString('hex')).toBe(rootOf(all).toString('hex'));
      }
    }
  });

  it('restores from its stored nodes and carries on', () => {
    const all = leaves(23);
    const first = new MerkleFrontier();
    all.slice(0, 13).forEach((leaf) => first.append(leaf));
    const restored = MerkleFrontier.of(0, first.nodesOf());
    all.slice(13).forEach((leaf) => restored.append(leaf));
    expect(restored.root().equals(rootOf(all))).toBe(true);
  });

  it('rebuilds a tree of any size from its subtrees hashes alone', () => {
    const all = leaves(37);
    const grown = new MerkleFrontier();
    all.forEach((leaf, i) => {
      grown.append(leaf);
      const hashes = grown.nodesOf().map((n) => n.hash);
      expect(
        MerkleFrontier.ofTree(i + 1, hashes)
          ?.root()
          .equals(grown.root()),
      ).toBe(true);
      // 2(i + 1) + 1 has one more set bit, so one more subtree than these.
      expect(MerkleFrontier.ofTree(2 * (i + 1) + 1, hashes)).toBeNull();
    });
    expect(MerkleFrontier.ofTree(0, [])?.end).toBe(0);
  });

  it('refuses a run that does not follow', () => {
    const a = new MerkleFrontier(0);
    a.append(leaves(1)[0]);
    expect(() => a.extend(new MerkleFrontier(2))).toThrow(RangeError);
    expect(() => new MerkleFrontier(3).root()).toThrow(RangeError);
  });
});

describe('consistency proofs from a stored tree (property)', () => {
  it('verify for every m ≤ n, and fail once any leaf before m is changed', () => {
    const all = leaves(300);
    const { read } = storedTree(all);
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.integer({ min: 1, max: n }),
              fc.integer({ min: 0, max: n - 1 }),
            ),
          ),
        ([n, m, changed]) => {
          const proof = proofFromSubtrees(consistencyRanges(m, n), read);
          const oldRoot = rootOf(all.slice(0, m));
          const newRoot = rootOf(all.slice(0, n));
          expect(verifyConsistency(m, n, oldRoot, newRoot, proof)).toBe(true);
          if (changed >= m) return;
          // The log rewritten before m: its new root and its proof come from the forged leaves.
          const forged = [...all.slice(0, n)];
          forged[changed] = leafHash(Buffer.from(`forged ${changed}`));
          const forgedProof = consistencyProof(forged, m);
          expect(verifyConsistency(m, n, oldRoot, rootOf(forged), forgedProof)).toBe(false);
          expect(verifyConsistency(m, n, oldRoot, rootOf(forged), proof)).toBe(false);
        },
      ),
      { seed: 20261125, numRuns: 500 },
    );
  });
});

import { createHash, hash } from 'node:crypto';

/**
 * RFC 6962 (§2.1) Merkle tree hashing over SHA-256, as Certificate Transparency and the C2SP
 * tlog formats use it: a leaf is `SHA-256(0x00 ‖ data)`, a node `SHA-256(0x01 ‖ left ‖ right)`,
 * and a tree of n leaves splits at the largest power of two below n. The audit chain's leaves
 * are the canonical bytes that its hash chain hashes. Tested against the published CT vectors
 * (`merkle.spec.ts`).
 */

export type Hash = Buffer;

const LEAF = Buffer.from([0x00]);

/** The hash of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

export function leafHash(data: Uint8Array): Hash {
  return createHash('sha256').update(LEAF).update(data).digest();
}

/** The 0x01 ‖ left ‖ right of a node, reused: one one-shot hash, no Hash object (verify feels it). */
const NODE_INPUT = Buffer.alloc(65, 0x01);

export function nodeHash(left: Hash, right: Hash): Hash {
  left.copy(NODE_INPUT, 1);
  right.copy(NODE_INPUT, 33);
  return hash('sha256', NODE_INPUT, 'buffer');
}

/** The largest power of two strictly below `n` (n ≥ 2): where a tree of n leaves splits. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) of RFC 6962 §2.1, from the leaves' hashes. */
export function rootOf(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/** PATH(m, D[n]) of RFC 6962 §2.1.1: the inclusion proof of leaf `index`, bottom first. */
export function inclusionProof(leaves: readonly Hash[], index: number): Hash[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf ${index} is not in a tree of ${leaves.length}`);
  }
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return index < k
    ? [...inclusionProof(leaves.slice(0, k), index), rootOf(leaves.slice(k))]
    : [...inclusionProof(leaves.slice(k), index - k), rootOf(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) of RFC 6962 §2.1.2: that the tree of `m` leaves is a prefix of these. */
export function consistencyProof(leaves: readonly Hash[], m: number): Hash[] {
  const n = leaves.length;
  if (!Number.isInteger(m) || m < 0 || m > n) {
    throw new RangeError(`a tree of ${m} is not a prefix of a tree of ${n}`);
  }
  if (m === 0 || m === n) return [];
  return subproof(leaves, m, true);
}

function subproof(leaves: readonly Hash[], m: number, whole: boolean): Hash[] {
  const n = leaves.length;
  if (m === n) return whole ? [] : [rootOf(leaves)];
  const k = split(n);
  return m <= k
    ? [...subproof(leaves.slice(0, k), m, whole), rootOf(leaves.slice(k))]
    : [...subproof(leaves.slice(k), m - k, false), rootOf(leaves.slice(0, k))];
}

/**
 * The root that an inclusion proof gives for `leaf` at `index` in a tree of `size` (RFC 9162
 * §2.1.3.2), or null when the proof cannot be one: its length is wrong for that index and size.
 * The caller compares it with a root it trusts.
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
): Hash | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    return null;
  }
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== 32 || sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** Whether `proof` shows the tree of `size1` leaves (`root1`) to be a prefix of `root2`'s (RFC 9162 §2.1.4.2). */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Hash,
  root2: Hash,
  proof: readonly Hash[],
): boolean {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0) return false;
  if (size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0 || proof.some((p) => p.length !== 32)) return false;
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(root1) && sr.equals(root2) && sn === 0;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** A perfect subtree: the `2^level` leaves from `index · 2^level`, and their hash. */
export interface MerkleNode {
  level: number;
  index: number;
  hash: Hash;
}

const widthOf = (level: number) => 2 ** level;

/**
 * A consecutive run of leaves from `start`, kept as its fewest aligned perfect subtrees (a
 * "compact range"), so that an append costs O(log n) hashes and no leaf is kept. From 0 it is a
 * tree's frontier: one subtree per set bit of the size, largest first, and the tree's root folds
 * from them. Runs walked apart (a verify's stretches) join with `extend`, as if one had walked
 * both.
 */
export class MerkleFrontier {
  private readonly nodes: MerkleNode[] = [];
  private next: number;

  constructor(readonly start = 0) {
    this.next = start;
  }

  /** A frontier from its stored nodes, largest first, as `nodesOf` gave them. */
  static of(start: number, nodes: readonly MerkleNode[]): MerkleFrontier {
    const range = new MerkleFrontier(start);
    for (const node of nodes) range.push(node, null);
    return range;
  }

  /**
   * The frontier of a tree of `size` leaves from its subtrees' hashes, largest first: one per
   * set bit of the size, which places each. Null when the count of hashes is not that.
   */
  static ofTree(size: number, hashes: readonly Hash[]): MerkleFrontier | null {
    const nodes: MerkleNode[] = [];
    let start = 0;
    for (let level = Math.floor(Math.log2(Math.max(size, 1))); level >= 0; level--) {
      const width = widthOf(level);
      if (size - start < width) continue;
      const hash = hashes[nodes.length];
      if (!hash || hash.length !== 32) return null;
      nodes.push({ level, index: start / width, hash });
      start += width;
    }
    return nodes.length === hashes.length ? MerkleFrontier.of(0, nodes) : null;
  }

  /** Where the run ends: the index of the next leaf (the tree's size, from 0). */
  get end(): number {
    return this.next;
  }

  get size(): number {
    return this.next - this.start;
  }

  /** Adds the next leaf; answers the perfect subtrees it completed, the leaf first. */
  append(leaf: Hash): MerkleNode[] {
    const made: MerkleNode[] = [];
    this.push({ level: 0, index: this.next, hash: leaf }, made);
    return made;
  }

  /** Adds the next leaf, keeping nothing else: a walk that only wants roots. */
  add(leaf: Hash): void {
    this.push({ level: 0, index: this.next, hash: leaf }, null);
  }

  /** Adds the run that starts where this one ends. */
  extend(other: MerkleFrontier): this {
    if (other.start !== this.next) {
      throw new RangeError(`a run from ${other.start} does not follow one ending at ${this.next}`);
    }
    for (const node of other.nodes) this.push(node, null);
    return this;
  }

  copy(): MerkleFrontier {
    return MerkleFrontier.of(this.start, this.nodes);
  }

  nodesOf(): MerkleNode[] {
    return [...this.nodes];
  }

  private push(node: MerkleNode, made: MerkleNode[] | null): void {
    const width = widthOf(node.level);
    if (node.index * width !== this.next) {
      throw new RangeError(`a subtree at ${node.index * width} does not follow ${this.next}`);
    }
    made?.push(node);
    this.nodes.push(node);
    this.next += width;
    for (;;) {
      const top = this.nodes[this.nodes.length - 1];
      const below = this.nodes[this.nodes.length - 2];
      // Two equal neighbours merge only when the left one starts a subtree twice their width.
      if (!below || below.level !== top.level || below.index % 2 !== 0) break;
      this.nodes.length -= 2;
      const merged = {
        level: top.level + 1,
        index: below.index / 2,
        hash: nodeHash(below.hash, top.hash),
      };
      this.nodes.push(merged);
      made?.push(merged);
    }
  }

  /** MTH of the leaves appended so far, for a run from 0. */
  root(): Hash {
    if (this.start !== 0) throw new RangeError('only a run from leaf 0 has a root');
    if (this.nodes.length === 0) return EMPTY_ROOT;
    let root = this.nodes[this.nodes.length - 1].hash;
    for (let i = this.nodes.length - 2; i >= 0; i--) root = nodeHash(this.nodes[i].hash, root);
    return root;
  }
}

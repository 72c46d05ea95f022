import { Hash, nodeHash } from './merkle';

/**
 * Proofs from a stored tree. A tree of n leaves is kept as its perfect subtrees (each stored once,
 * when the append that completes it runs), so a proof reads O(log n) stored hashes instead of n
 * leaves. `merkle.ts`' leaf-list proofs are the reference these are tested against.
 */

/** The leaves `[start, end)`. Every range a proof names starts at a multiple of its split. */
export interface LeafRange {
  start: number;
  end: number;
}

/** A perfect subtree's place: the `2^level` leaves from `index · 2^level`. */
export interface NodeRef {
  level: number;
  index: number;
}

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/** The subtrees whose hashes PATH(index, D[size]) lists (RFC 6962 §2.1.1), bottom first. */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  }
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = split(end - start);
    if (index < start + k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      start += k;
    }
  }
  return ranges.reverse();
}

/** The subtrees whose hashes PROOF(m, D[n]) lists (RFC 6962 §2.1.2), bottom first. */
export function consistencyRanges(m: number, n: number): LeafRange[] {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) {
    throw new RangeError(`a tree of ${m} is not a prefix of a tree of ${n}`);
  }
  if (m === 0 || m === n) return [];
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = n;
  let whole = true;
  while (start + m !== end) {
    const k = split(end - start);
    if (start + m <= start + k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      m -= k;
      start += k;
      whole = false;
    }
  }
  if (!whole) ranges.push({ start, end });
  return ranges.reverse();
}

/** The perfect subtrees whose hashes make a range's RFC 6962 root, left to right. */
export function subtreesOf(range: LeafRange): NodeRef[] {
  const refs: NodeRef[] = [];
  let start = range.start;
  const end = range.end;
  while (start < end) {
    const width = isPowerOfTwo(end - start) ? end - start : split(end - start);
    if (start % width !== 0) throw new RangeError(`[${start}, ${end}) is not a subtree range`);
    refs.push({ level: Math.log2(width), index: start / width });
    start += width;
  }
  return refs;
}

/** Each range's root from its stored subtrees: a proof's hashes. */
export function proofFromSubtrees(
  ranges: readonly LeafRange[],
  subtree: (ref: NodeRef) => Hash,
): Hash[] {
  return ranges.map((range) => {
    const hashes = subtreesOf(range).map(subtree);
    let root = hashes[hashes.length - 1];
    for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i], root);
    return root;
  });
}

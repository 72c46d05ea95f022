import { concat, equal, sha256, type Bytes } from './bytes';

/** RFC 6962 node hash: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Bytes, right: Bytes): Promise<Bytes> {
  return sha256(concat(new Uint8Array([0x01]), left, right));
}

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ data). */
export function leafHash(data: Bytes): Promise<Bytes> {
  return sha256(concat(new Uint8Array([0x00]), data));
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/**
 * Whether `proof` shows the tree of `size1` leaves (`root1`) to be a prefix of the tree of
 * `size2` leaves (`root2`): RFC 9162 §2.1.4.2, as src/audit/tree/merkle.ts verifies it.
 */
export async function verifyConsistency(
  size1: number,
  size2: number,
  root1: Bytes,
  root2: Bytes,
  proof: readonly Bytes[],
): Promise<boolean> {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0) return false;
  if (size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
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
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return equal(fr, root1) && equal(sr, root2) && sn === 0;
}

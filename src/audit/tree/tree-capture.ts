import { MerkleFrontier, MerkleNode } from './merkle';

/**
 * What a verify's walk of one stretch keeps of the Merkle tree, in a form that crosses a worker
 * thread (hex, no Buffers), and how the stretches' parts join into the roots that the signed
 * checkpoints are checked against.
 */

export interface HexNode {
  level: number;
  index: number;
  hash: string;
}

/** Which tree a stretch's walk grows: leaves from `start` up to leaf `upTo`, kept at `sizes`. */
export interface TreeCapture {
  start: number;
  upTo: number;
  /** Tree sizes within the stretch whose roots are wanted, ascending. */
  sizes: readonly number[];
}

/** The stretch's leaves from `start` to `end`, as aligned subtrees, and their state at each size. */
export interface TreeOfSegment {
  start: number;
  end: number;
  nodes: HexNode[];
  at: { size: number; nodes: HexNode[] }[];
}

export function hexNodes(frontier: MerkleFrontier): HexNode[] {
  return frontier.nodesOf().map((n) => ({ ...n, hash: n.hash.toString('hex') }));
}

function rangeOf(start: number, nodes: readonly HexNode[]): MerkleFrontier {
  return MerkleFrontier.of(
    start,
    nodes.map((n): MerkleNode => ({ ...n, hash: Buffer.from(n.hash, 'hex') })),
  );
}

/**
 * The root of the tree at each wanted size, from the stretches' parts in order. A stretch whose
 * part does not start where the one before ended (its walk stopped early, at a broken row)
 * ends the join: sizes past it have no root, and the chain's verdict already names the break.
 */
export function rootsAtSizes(parts: readonly (TreeOfSegment | undefined)[]): Map<number, string> {
  const roots = new Map<number, string>();
  const tree = new MerkleFrontier(0);
  for (const part of parts) {
    if (!part || part.start !== tree.end) break;
    for (const at of part.at) {
      const root = tree.copy().extend(rangeOf(part.start, at.nodes)).root();
      roots.set(at.size, root.toString('hex'));
    }
    tree.extend(rangeOf(part.start, part.nodes));
  }
  return roots;
}

/** Splits sorted checkpoint sizes among the stretches `(afterSeq, upToSeq]` of a walk. */
export function capturesFor(
  sizes: readonly number[],
  ranges: readonly { afterSeq: number; upToSeq: number }[],
): TreeCapture[] {
  const upTo = sizes.length > 0 ? sizes[sizes.length - 1] : 0;
  return ranges.map(({ afterSeq, upToSeq }) => ({
    start: afterSeq,
    upTo,
    sizes: sizes.filter((size) => size > afterSeq && size <= upToSeq),
  }));
}

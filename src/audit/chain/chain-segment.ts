import { ChainVerdict, GENESIS_HASH, hashesOfRow, rowHash } from './audit-chain';
import { Hash, MerkleFrontier } from '../tree/merkle';
import { HexNode, hexNodes, TreeCapture, TreeOfSegment } from '../tree/tree-capture';
import { COLUMN } from '../codec/audit-fields';
import { AuditRow, metadataHasDuplicateKey, RowDialect, seqOf } from '../codec/audit-row';

const PREV_HASH = COLUMN.prev_hash;
const HASH = COLUMN.hash;

/**
 * The `seq` range a verify reads per query. Small enough that a range, and the next one loading
 * behind it, die young in V8's nursery instead of being copied out of it (with 5,000 the
 * collector took a quarter of a walk's time); large enough that round trips stay hidden.
 * Measured on 1M events with two workers: 1,000 walked 160-210k events/s where 5,000 walked
 * 128-131k/s under the same load.
 */
export const VERIFY_BATCH = 1_000;

/**
 * What a walk of one consecutive stretch of a chain found, so that stretches checked apart (in
 * parallel, by workers) join into the verdict one walk from the start would give. Its first row
 * is judged at the join, against the stretch before; every later row against its predecessor.
 */
export interface SegmentResult {
  /** Rows read (0 when the stretch holds none). */
  rows: number;
  firstSeq: number;
  firstPrevHash: string;
  /** Whether the first row's own hash matches its content after its stored `prev_hash`. */
  firstHashHolds: boolean;
  /** Rows judged after the first, up to and including the first that does not hold. */
  checkedAfterFirst: number;
  /** As `ChainWalker` names it: the lower of the bad row's `seq` and the one expected. */
  firstInvalidSeq: number | null;
  lastSeq: number;
  lastHash: string;
  /** The stretch's part of the chain's Merkle tree, when the walk was asked for one. */
  tree?: TreeOfSegment;
}

/** Hashes raw rows of one stretch, fed in `seq` order, holding only the last row's seq and hash. */
export class SegmentWalker {
  private result: SegmentResult = {
    rows: 0,
    firstSeq: 0,
    firstPrevHash: '',
    firstHashHolds: false,
    checkedAfterFirst: 0,
    firstInvalidSeq: null,
    lastSeq: 0,
    lastHash: '',
  };

  /** The leaves so far, while the tree is wanted: from the stretch's start, without a gap. */
  private readonly frontier: MerkleFrontier | null;
  private readonly snapshots: { size: number; nodes: HexNode[] }[] = [];
  private nextSize = 0;

  /**
   * With `tree`, the walk also grows the stretch's part of the Merkle tree, from the same
   * canonical bytes it chains, up to the largest size asked for, and keeps its nodes at each.
   */
  constructor(
    private readonly dialect: RowDialect,
    private readonly tree: TreeCapture | null = null,
  ) {
    this.frontier = tree && tree.upTo > tree.start ? new MerkleFrontier(tree.start) : null;
  }

  /** Feeds the next rows; false once the stretch is known broken (the walk may stop). */
  feed(rows: readonly AuditRow[]): boolean {
    const r = this.result;
    if (r.firstInvalidSeq !== null) return false;
    for (const row of rows) {
      const seq = seqOf(row);
      const prevHash = row[PREV_HASH] as string;
      let leaf: Hash | null = null;
      let hash: string;
      if (this.frontier && seq === this.frontier.end + 1 && seq <= this.tree!.upTo) {
        ({ hash, leaf } = hashesOfRow(prevHash, row, this.dialect));
      } else {
        hash = rowHash(prevHash, row, this.dialect);
      }
      const holds = !metadataHasDuplicateKey(row) && hash === row[HASH];
      if (r.rows++ === 0) {
        r.firstSeq = seq;
        r.firstPrevHash = prevHash;
        r.firstHashHolds = holds;
        if (!holds) return false;
      } else {
        r.checkedAfterFirst++;
        if (seq !== r.lastSeq + 1 || prevHash !== r.lastHash || !holds) {
          r.firstInvalidSeq = Math.min(seq, r.lastSeq + 1);
          return false;
        }
      }
      r.lastSeq = seq;
      r.lastHash = row[HASH] as string;
      if (leaf) this.grow(leaf);
    }
    return true;
  }

  private grow(leaf: Hash): void {
    const frontier = this.frontier!;
    const sizes = this.tree!.sizes;
    frontier.add(leaf);
    while (this.nextSize < sizes.length && sizes[this.nextSize] <= frontier.end) {
      if (sizes[this.nextSize] === frontier.end) {
        this.snapshots.push({ size: frontier.end, nodes: hexNodes(frontier) });
      }
      this.nextSize++;
    }
  }

  finish(): SegmentResult {
    const tree = this.frontier
      ? {
          start: this.frontier.start,
          end: this.frontier.end,
          nodes: hexNodes(this.frontier),
          at: this.snapshots,
        }
      : undefined;
    return { ...this.result, tree };
  }
}

/**
 * The verdict on a chain walked as consecutive stretches, given in `seq` order, and its head:
 * the same as `ChainWalker` fed every row in one pass, `checked` included.
 */
export function joinSegments(
  segments: readonly SegmentResult[],
  head: { seq: number; hash: string } | null,
): ChainVerdict {
  let expectedSeq = 1;
  let lastHash = GENESIS_HASH;
  let checked = 0;
  let firstInvalid: number | null = null;
  for (const s of segments) {
    if (s.rows === 0) continue;
    checked++;
    if (s.firstSeq !== expectedSeq || s.firstPrevHash !== lastHash || !s.firstHashHolds) {
      firstInvalid = Math.min(s.firstSeq, expectedSeq);
      break;
    }
    checked += s.checkedAfterFirst;
    if (s.firstInvalidSeq !== null) {
      firstInvalid = s.firstInvalidSeq;
      break;
    }
    expectedSeq = s.lastSeq + 1;
    lastHash = s.lastHash;
  }
  const headSeq = head?.seq ?? 0;
  const headHash = head?.hash ?? GENESIS_HASH;
  if (firstInvalid === null && (headSeq !== expectedSeq - 1 || headHash !== lastHash)) {
    // Rows at the end are gone (or the head was moved): the first missing seq is invalid.
    firstInvalid = expectedSeq;
  }
  return { valid: firstInvalid === null, checked, first_invalid_seq: firstInvalid };
}

/** Splits `(0, lastSeq]` into `parts` consecutive `seq` ranges of about equal length. */
export function seqRanges(lastSeq: number, parts: number): { afterSeq: number; upToSeq: number }[] {
  const ranges: { afterSeq: number; upToSeq: number }[] = [];
  for (let k = 0; k < parts; k++) {
    const afterSeq = Math.floor((lastSeq * k) / parts);
    const upToSeq = Math.floor((lastSeq * (k + 1)) / parts);
    if (upToSeq > afterSeq) ranges.push({ afterSeq, upToSeq });
  }
  return ranges;
}

import type { ChainVerdict } from '../chain/audit-chain';

/** A stored checkpoint as verify judges it: its size and root, and whether its signature holds. */
export interface JudgedCheckpoint {
  size: number;
  rootHex: string;
  signedAt: Date;
  /** Signed by the installation's key, over exactly this size and root. */
  signatureHolds: boolean;
}

/** What the checkpoints add to a chain's verdict. */
export interface CheckpointedVerdict extends ChainVerdict {
  /** Checkpoints whose roots were recomputed and compared. */
  checkpoints_checked: number;
  /** The largest checkpoint that holds, below any that does not: what the log is pinned to. */
  last_valid_checkpoint: { tree_size: number; root_hash: string; signed_at: string } | null;
  /**
   * Whether any signed checkpoint was held to the events. False: the verdict rests on the chain
   * alone, which whoever can write the database can recompute (no key, or none signed yet).
   */
  checkpoint_checked: boolean;
  /** The events from seq 1 to this one are pinned by a signed checkpoint that holds; 0 if none. */
  signed_through_seq: number;
}

/**
 * Joins the chain's verdict with its signed checkpoints, smallest first. A checkpoint fails when
 * its signature does not hold (a key the installation does not hold), when the chain is shorter
 * than it (events cut off the end), or when the tree recomputed from the events has another
 * root at its size (events rewritten, even with a chain that hashes). Which event of those it
 * covers changed cannot be known, so the first untrusted `seq` is the one after the last
 * checkpoint that holds. Checkpoints past a break the chain walk found are not judged.
 */
export function withCheckpoints(
  chain: ChainVerdict,
  eventCount: number,
  checkpoints: readonly JudgedCheckpoint[],
  roots: ReadonlyMap<number, string>,
): CheckpointedVerdict {
  let lastValid: JudgedCheckpoint | null = null;
  let failed = false;
  let checked = 0;
  for (const checkpoint of checkpoints) {
    if (chain.first_invalid_seq !== null && checkpoint.size >= chain.first_invalid_seq) break;
    const root = roots.get(checkpoint.size);
    if (checkpoint.signatureHolds && checkpoint.size <= eventCount && root === undefined) break;
    checked++;
    if (!checkpoint.signatureHolds || checkpoint.size > eventCount || root !== checkpoint.rootHex) {
      failed = true;
      break;
    }
    lastValid = checkpoint;
  }
  const fromCheckpoints = failed ? (lastValid?.size ?? 0) + 1 : null;
  const firstInvalid =
    chain.first_invalid_seq === null
      ? fromCheckpoints
      : Math.min(chain.first_invalid_seq, fromCheckpoints ?? Infinity);
  return {
    valid: firstInvalid === null,
    checked: chain.checked,
    first_invalid_seq: firstInvalid,
    checkpoints_checked: checked,
    last_valid_checkpoint: lastValid && {
      tree_size: lastValid.size,
      root_hash: Buffer.from(lastValid.rootHex, 'hex').toString('base64'),
      signed_at: lastValid.signedAt.toISOString(),
    },
    checkpoint_checked: checked > 0,
    signed_through_seq: lastValid?.size ?? 0,
  };
}

/**
 * At most `max` checkpoints, spread evenly over the chain and always with its latest: a verify
 * holds a few hashes per checkpoint it checks, so their count is bounded, and the spread keeps
 * "the last checkpoint that holds" close wherever a rewrite begins.
 */
export function spreadCheckpoints<T>(checkpoints: readonly T[], max: number): T[] {
  if (checkpoints.length <= max) return [...checkpoints];
  const picked: T[] = [];
  for (let k = 0; k < max; k++) {
    picked.push(checkpoints[Math.round((k * (checkpoints.length - 1)) / (max - 1))]);
  }
  return picked;
}

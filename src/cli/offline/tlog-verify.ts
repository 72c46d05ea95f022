import {
  Checkpoint,
  openCheckpoint,
  readCheckpointUnverified,
} from '../../audit/checkpoints/checkpoint-note';
import { EMPTY_ROOT, verifyConsistency } from '../../audit/tree/merkle';
import { NoteError, NoteVerifier } from '../../audit/checkpoints/signed-note';
import type { ConsistencyProof } from '../../audit/tree/tlog-proof';

/**
 * The offline checks of checkpoints and proofs, for `cli audit`: pure, given the texts; the
 * commands read the files. A checkpoint is checked under a verifier key when one is given. Without
 * one its signature is `unchecked`, and the command says what that means: anyone who can rewrite
 * an export, or serve a proof, can sign a checkpoint of their own with a key of their own.
 */

export type SignatureCheck = 'verified' | 'unchecked' | 'invalid';

/** Said on stderr whenever a checkpoint was used with no key to check its signature. */
export const UNCHECKED_SIGNATURE_NOTE =
  "No --key given: the checkpoint's signature was not checked. The tree was checked against " +
  'the checkpoint, but whoever can rewrite the files can also sign a checkpoint with a key of ' +
  'their own, so this proves nothing against them: give --key with the verifier key ' +
  '(GET /.well-known/latchkey-audit-key), kept where they cannot change it.';

/** A text that is no signed checkpoint at all (the command's usage error when it is a file). */
export class NotACheckpointError extends Error {
  override readonly name = 'NotACheckpointError';
}

export type CheckpointCheck =
  | { ok: true; checkpoint: Checkpoint; signature: 'verified' | 'unchecked' }
  /** A well-formed checkpoint whose signature does not hold under the key: read, not trusted. */
  | { ok: false; checkpoint: Checkpoint; reason: string };

/**
 * A signed checkpoint, its signature checked under `verifier` when there is one. Throws a
 * `NotACheckpointError` when the text is no signed checkpoint at all.
 */
export function checkCheckpoint(
  note: string | Uint8Array,
  verifier: NoteVerifier | undefined,
): CheckpointCheck {
  let checkpoint: Checkpoint;
  try {
    checkpoint = readCheckpointUnverified(note);
  } catch (e) {
    throw new NotACheckpointError(`not a signed checkpoint: ${(e as Error).message}`);
  }
  if (!verifier) return { ok: true, checkpoint, signature: 'unchecked' };
  try {
    return { ok: true, checkpoint: openCheckpoint(note, [verifier]), signature: 'verified' };
  } catch (e) {
    if (!(e instanceof NoteError)) throw e;
    const key = `${verifier.name}+${verifier.keyIdHex}`;
    return {
      ok: false,
      checkpoint,
      reason: `its signature does not hold under ${key}: ${e.message}`,
    };
  }
}

export interface ConsistencyVerdict {
  valid: boolean;
  old_size: number;
  new_size: number;
  signature: SignatureCheck;
  reason?: string;
}

/**
 * Whether `proof` shows the old checkpoint's tree to be a prefix of the new one's (RFC 9162
 * §2.1.4.2): the log only grew between them. The proof must name the checkpoints' own sizes,
 * and both checkpoints must be of one log and, with a key, signed by it.
 */
export function checkConsistency(
  old: CheckpointCheck,
  next: CheckpointCheck,
  proof: ConsistencyProof,
): ConsistencyVerdict {
  const sizes = { old_size: old.checkpoint.size, new_size: next.checkpoint.size };
  const invalid = (reason: string, signature: SignatureCheck) => ({
    valid: false,
    ...sizes,
    signature,
    reason,
  });
  if (!old.ok) return invalid(`the old checkpoint: ${old.reason}`, 'invalid');
  if (!next.ok) return invalid(`the new checkpoint: ${next.reason}`, 'invalid');
  const signature =
    old.signature === 'verified' && next.signature === 'verified' ? 'verified' : 'unchecked';
  const [a, b] = [old.checkpoint, next.checkpoint];
  if (a.origin !== b.origin) {
    return invalid(`the checkpoints are of two logs: ${a.origin} and ${b.origin}`, signature);
  }
  if (proof.from !== a.size || proof.to !== b.size) {
    return invalid(
      `the proof is from size ${proof.from} to ${proof.to}, the checkpoints are of sizes ` +
        `${a.size} and ${b.size}`,
      signature,
    );
  }
  if (a.size > b.size) return invalid('the old checkpoint is larger than the new one', signature);
  // verifyConsistency takes any root for an empty old tree: the empty tree has one root only.
  if (a.size === 0 && !a.root.equals(EMPTY_ROOT)) {
    return invalid('the old checkpoint is of no tree: size 0 with another root', signature);
  }
  if (!verifyConsistency(a.size, b.size, a.root, b.root, proof.proof)) {
    return invalid(
      `the proof does not show the tree of ${a.size} events to be a prefix of the tree of ` +
        `${b.size}: the log was rewritten, or the proof is not for these checkpoints`,
      signature,
    );
  }
  return { valid: true, ...sizes, signature };
}

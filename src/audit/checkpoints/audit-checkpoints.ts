import { Injectable } from '@nestjs/common';
import { Database } from '../../database/connection/read-routing';
import { RequestValidationError } from '../../common/errors/domain-error';
import { Page } from '../../common/validation/pagination';
import { AuditError } from '../audit-error';
import { sqliteDate } from '../codec/audit-row';
import { AuditSigner } from './audit-signer';
import type { AuditCheckpoint } from '../store/audit-tree.entity';
import { AuditTreeRepository } from '../store/audit-tree.repository';
import { AuditTreeReads, nodeKey } from '../store/audit-tree-reads';
import { JudgedCheckpoint, spreadCheckpoints } from './checkpoint-verdict';
import type { Hash } from '../tree/merkle';
import {
  consistencyRanges,
  inclusionRanges,
  LeafRange,
  proofFromSubtrees,
  subtreesOf,
} from '../tree/merkle-plan';
import { decodeSizeCursor, encodeSizeCursor } from '../query/size-cursor';
import { formatConsistencyProof, formatInclusionProof } from '../tree/tlog-proof';

/** Checkpoints a verify checks at most (spread over the chain): a few hashes each. */
const MAX_JUDGED = 1_000;

/** A checkpoint as the list shows it. */
export interface CheckpointView {
  tree_size: number;
  root_hash: string;
  signed_at: string;
  key_name: string;
  key_id: string;
  note: string;
}

/**
 * A chain's signed checkpoints and the proofs that tie events and older checkpoints to them.
 * The chain id is the caller's business (or the platform's), decided by the controller's scope.
 */
@Injectable()
export class AuditCheckpoints {
  constructor(
    private readonly tree: AuditTreeRepository,
    private readonly reads: AuditTreeReads,
    private readonly signer: AuditSigner,
    private readonly database: Database,
  ) {}

  /** The verifier key text, for anyone: a key that is not secret, and says who signs. */
  verifierKey(): string {
    const key = this.signer.verifierKey;
    if (!key) throw new AuditError('CHECKPOINTS_OFF');
    return `${key}\n`;
  }

  /** The latest signed checkpoint's note. */
  async latest(chainId: string): Promise<string> {
    const checkpoint = await this.reads.checkpointNote(chainId, undefined, this.database.primary);
    if (!checkpoint) throw this.none();
    return checkpoint.note;
  }

  /** The chain's checkpoints, largest first. */
  async list(chainId: string, limit = 50, cursor?: string): Promise<Page<CheckpointView>> {
    const before = decodeSizeCursor(cursor);
    const rows = await this.tree.checkpoints(chainId, limit + 1, before, this.database.primary);
    const items = rows.slice(0, limit).map(viewOf);
    const last = items[items.length - 1];
    return {
      items,
      next_cursor: rows.length > limit && last ? encodeSizeCursor(last.tree_size) : null,
    };
  }

  /** The proof (c2sp.org/tlog-proof@v1) that the event at `seq` is in the checkpoint of `size`. */
  async inclusion(chainId: string, seq: number, size?: number): Promise<string> {
    const checkpoint = await this.reads.checkpointNote(chainId, size, this.database.primary);
    if (!checkpoint) throw size === undefined ? this.none() : this.noSize(size);
    if (seq > checkpoint.treeSize) {
      throw new RequestValidationError([
        {
          loc: ['path', 'seq'],
          msg: `seq must be at most the checkpoint's tree size, ${checkpoint.treeSize}`,
          type: 'value_error',
        },
      ]);
    }
    const proof = await this.proof(chainId, inclusionRanges(seq - 1, checkpoint.treeSize));
    return formatInclusionProof({ index: seq - 1, proof, checkpoint: checkpoint.note });
  }

  /** The proof that the tree of `from` events is a prefix of the tree of `to`. */
  async consistency(chainId: string, from: number, to: number): Promise<string> {
    if (from > to) {
      throw new RequestValidationError([
        { loc: ['query', 'to'], msg: 'to must be at least from', type: 'value_error' },
      ]);
    }
    const grown = await this.reads.treeSize(chainId, this.database.primary);
    if (to > grown) {
      throw new RequestValidationError([
        {
          loc: ['query', 'to'],
          msg: `to must be at most the tree's size, ${grown}`,
          type: 'value_error',
        },
      ]);
    }
    const proof = await this.proof(chainId, consistencyRanges(from, to));
    return formatConsistencyProof({ from, to, proof });
  }

  /** The note of the largest checkpoint within the first `lastSeq` events, for an export's end. */
  async coveringExport(chainId: string, lastSeq: number): Promise<string | null> {
    return (
      (await this.tree.checkpointWithin(chainId, lastSeq, this.database.primary))?.note ?? null
    );
  }

  /** The chain's checkpoints as verify judges them: spread, with their signatures checked. */
  async judged(chainId: string): Promise<JudgedCheckpoint[]> {
    if (!this.signer.enabled) return [];
    const all = await this.tree.allCheckpoints(chainId, this.database.primary);
    return spreadCheckpoints(all, MAX_JUDGED).map((c) => ({
      size: c.treeSize,
      rootHex: c.rootHash,
      signedAt: sqliteDate(c.signedAt),
      signatureHolds: this.signer.holds(chainId, c.treeSize, c.rootHash, c.note),
    }));
  }

  private async proof(chainId: string, ranges: LeafRange[]): Promise<Hash[]> {
    const refs = ranges.flatMap(subtreesOf);
    const stored = await this.reads.subtrees(chainId, refs, this.database.primary);
    return proofFromSubtrees(ranges, (ref) => {
      const hash = stored.get(nodeKey(ref));
      // A checkpoint's tree was grown before it was signed: a missing subtree was deleted.
      if (!hash) {
        throw new Error(`audit tree of ${chainId} lacks subtree ${ref.level}/${ref.index}`);
      }
      return hash;
    });
  }

  private none(): AuditError {
    return this.signer.enabled
      ? new AuditError(
          'CHECKPOINT_NOT_FOUND',
          'This chain has no checkpoint yet: one is signed soon after its first events',
        )
      : new AuditError('CHECKPOINTS_OFF');
  }

  private noSize(size: number): AuditError {
    return new AuditError('CHECKPOINT_NOT_FOUND', `No checkpoint of tree size ${size}`);
  }
}

function viewOf(c: AuditCheckpoint): CheckpointView {
  return {
    tree_size: c.treeSize,
    root_hash: Buffer.from(c.rootHash, 'hex').toString('base64'),
    signed_at: sqliteDate(c.signedAt).toISOString(),
    key_name: c.keyName,
    key_id: c.keyId,
    note: c.note,
  };
}

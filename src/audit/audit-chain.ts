import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** The `prev_hash` of the first event of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * What is hashed: the event as the API shows it, without `prev_hash` and `hash`. An NDJSON
 * export line minus those two fields is exactly this, so a chain can be checked offline.
 */
export interface ChainedEvent {
  id: string;
  seq: number;
  business_id: string | null;
  occurred_at: string;
  action: string;
  outcome: string;
  actor: { id: string | null; type: string; label: string };
  target: { type: string; id: string | null; label: string | null };
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  metadata: Record<string, unknown>;
}

/** `sha256(prev_hash || JCS(event))`, in lowercase hex. */
export function chainHash(prevHash: string, event: ChainedEvent): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(event)).digest('hex');
}

/** Where a walk of a chain found it broken: the first `seq` that does not hold. */
export interface ChainVerdict {
  valid: boolean;
  checked: number;
  first_invalid_seq: number | null;
}

/**
 * Checks a chain fed to it in `seq` order, batch by batch, holding only the running hash. An
 * edited row breaks its own hash, a removed or reordered row breaks `seq` or `prev_hash`, and
 * a removed tail no longer reaches the head.
 */
export class ChainWalker {
  private expectedSeq = 1;
  private hash = GENESIS_HASH;
  private checked = 0;
  private firstInvalid: number | null = null;

  /** Feeds the next rows; false once the chain is known broken (the walk may stop). */
  feed(events: Iterable<ChainedEvent & { prev_hash: string; hash: string }>): boolean {
    for (const event of events) {
      if (this.firstInvalid !== null) return false;
      this.checked++;
      if (
        event.seq !== this.expectedSeq ||
        event.prev_hash !== this.hash ||
        chainHash(this.hash, unhashed(event)) !== event.hash
      ) {
        this.firstInvalid = Math.min(event.seq, this.expectedSeq);
        return false;
      }
      this.hash = event.hash;
      this.expectedSeq++;
    }
    return true;
  }

  /** The verdict, given the chain head's `seq` and hash. */
  finish(head: { seq: number; hash: string } | null): ChainVerdict {
    const headSeq = head?.seq ?? 0;
    const headHash = head?.hash ?? GENESIS_HASH;
    if (
      this.firstInvalid === null &&
      (headSeq !== this.expectedSeq - 1 || headHash !== this.hash)
    ) {
      // Rows at the end are gone (or the head was moved): the first missing seq is invalid.
      this.firstInvalid = this.expectedSeq;
    }
    return {
      valid: this.firstInvalid === null,
      checked: this.checked,
      first_invalid_seq: this.firstInvalid,
    };
  }
}

/** The event without `prev_hash` and `hash`: the part that is hashed. */
export function unhashed(event: ChainedEvent & { prev_hash: string; hash: string }): ChainedEvent {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { prev_hash, hash, ...rest } = event;
  return rest;
}

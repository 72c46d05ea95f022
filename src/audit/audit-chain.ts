import { hash } from 'node:crypto';
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
  /** Absent on events written before the way in was kept. */
  origin?: string;
  action: string;
  outcome: string;
  actor: {
    id: string | null;
    type: string;
    label: string;
    /** Both absent on events written before the acting token was kept. */
    token_id?: string;
    issued_by?: { id: string | null; label: string } | null;
  };
  target: { type: string; id: string | null; label: string | null };
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  metadata: Record<string, unknown>;
}

/** `sha256(prev_hash || JCS(event))`, in lowercase hex. */
export function chainHash(prevHash: string, event: ChainedEvent): string {
  // One-shot crypto.hash: no Hash object per event, which verify feels over a long chain.
  return hash('sha256', prevHash + canonicalEvent(event), 'hex');
}

const str = JSON.stringify;

/**
 * `canonicalJson(event)` for the fixed shape of an event, with its keys already in JCS order;
 * only `metadata` goes through the general function. Verify hashes every event of a chain,
 * and this is several times faster than sorting keys per row. A unit test holds the two equal.
 */
export function canonicalEvent(e: ChainedEvent): string {
  const { actor } = e;
  const issuedBy =
    actor.token_id === undefined
      ? ''
      : actor.issued_by
        ? `"issued_by":{"id":${str(actor.issued_by.id)},"label":${str(actor.issued_by.label)}},`
        : `"issued_by":null,`;
  const tokenId = actor.token_id === undefined ? '' : `"token_id":${str(actor.token_id)},`;
  const origin = e.origin === undefined ? '' : `"origin":${str(e.origin)},`;
  return (
    `{"action":${str(e.action)},` +
    `"actor":{"id":${str(actor.id)},${issuedBy}"label":${str(actor.label)},${tokenId}` +
    `"type":${str(actor.type)}},` +
    `"business_id":${str(e.business_id)},"id":${str(e.id)},"ip":${str(e.ip)},` +
    `"metadata":${canonicalJson(e.metadata)},"occurred_at":${str(e.occurred_at)},${origin}` +
    `"outcome":${str(e.outcome)},"request_id":${str(e.request_id)},"seq":${str(e.seq)},` +
    `"target":{"id":${str(e.target.id)},"label":${str(e.target.label)},"type":${str(e.target.type)}},` +
    `"user_agent":${str(e.user_agent)}}`
  );
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
        chainHash(this.hash, event) !== event.hash
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

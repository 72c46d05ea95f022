import { hash } from 'node:crypto';
import { canonicalRow, rowOfView, RowSource } from '../codec/audit-codec';
import type { AuditEventView, ChainedEvent } from '../codec/audit-fields';
import type { AuditRow } from '../codec/audit-row';
import type { Hash } from '../tree/merkle';

/** The `prev_hash` of the first event of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

export type { ChainedEvent } from '../codec/audit-fields';

/** `sha256(prev_hash || JCS(event))`, in lowercase hex. */
export function chainHash(prevHash: string, event: ChainedEvent): string {
  return rowHash(prevHash, rowOfView(event), 'event');
}

/** `chainHash` of a row: what verify computes for each row it reads. */
export function rowHash(prevHash: string, row: AuditRow, source: RowSource): string {
  // One-shot crypto.hash: no Hash object per event, which verify feels over a long chain.
  return hash('sha256', prevHash + canonicalRow(row, source), 'hex');
}

/**
 * The event's leaf in its chain's Merkle tree: RFC 6962's `SHA-256(0x00 ‖ bytes)` over the same
 * canonical bytes (UTF-8) that `rowHash` chains, so the tree and the chain cover one thing.
 */
export function leafOfRow(row: AuditRow, source: RowSource): Hash {
  return leafOfCanonical(canonicalRow(row, source));
}

/**
 * The canonical bytes of a row, written once into a reused buffer after a 64-byte slot: the
 * chain hash reads `prev_hash ‖ bytes`, and the leaf `0x00 ‖ bytes` from one byte earlier. One
 * UTF-8 encoding and no allocation but the two digests, which a verify of millions feels.
 */
let scratch = Buffer.alloc(64 * 1024);
const HEX64 = /^[0-9a-f]{64}$/;

/** The chain hash and the tree leaf of a row, from one canonical form of it. */
export function hashesOfRow(
  prevHash: string,
  row: AuditRow,
  source: RowSource,
): { hash: string; leaf: Hash } {
  const canonical = canonicalRow(row, source);
  if (!HEX64.test(prevHash)) {
    // A stored prev_hash that is no hash (a tampered row): hashed as the string it is.
    return {
      hash: hash('sha256', prevHash + canonical, 'hex'),
      leaf: leafOfCanonical(canonical),
    };
  }
  const most = 64 + canonical.length * 3;
  if (scratch.length < most) scratch = Buffer.alloc(most);
  const end = 64 + scratch.write(canonical, 64, 'utf8');
  scratch.write(prevHash, 0, 'latin1');
  const chained = hash('sha256', scratch.subarray(0, end), 'hex');
  scratch[63] = 0x00;
  return { hash: chained, leaf: hash('sha256', scratch.subarray(63, end), 'buffer') };
}

function leafOfCanonical(canonical: string): Hash {
  // '\0' is the leaf prefix byte 0x00 in UTF-8: one one-shot hash, no Hash object.
  return hash('sha256', '\0' + canonical, 'buffer');
}

/** RFC 8785 JSON of the event, written by the codec from AUDIT_FIELDS' plans. */
export function canonicalEvent(event: ChainedEvent): string {
  return canonicalRow(rowOfView(event), 'event');
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
  feed(events: Iterable<AuditEventView>): boolean {
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

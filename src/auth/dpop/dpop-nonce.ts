import { createHmac, timingSafeEqual } from 'node:crypto';

/** HKDF's info for the nonce key: no other use of the shared key material derives this key. */
export const DPOP_NONCE_KEY_PURPOSE = 'latchkey dpop nonce v1';
/** A nonce is issued for one bucket of this length, and accepted in it and the next. */
export const DPOP_NONCE_BUCKET_MS = 60_000;
/** Base64url of a SHA-256 HMAC, unpadded: the shape of every nonce, and of nothing longer. */
const NONCE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Server-provided DPoP nonces (RFC 9449 §8 and §9) that need no store: a nonce is the HMAC-SHA-256
 * of its time bucket, under a key that `keyAt` derives alike on every instance, so any instance
 * accepts any other's. One nonce serves every client during a bucket: what a nonce bounds is how
 * long before its use a proof can have been made (one to two minutes), which is the same for all.
 * A nonce is accepted in the bucket it was issued in and the next, so one issued just before a
 * bucket ends still serves a retry; any other (older, forged, of another key) is refused.
 */
export class DpopNonces {
  /** The clock that places a nonce in its bucket; a test moves it. */
  clock: () => number = Date.now;
  /** The nonces of the buckets asked about lately, by bucket: two at a time in steady use. */
  private readonly made = new Map<number, string>();

  /** `keyAt` is the key for the bucket that starts at that instant (ms). */
  constructor(private readonly keyAt: (bucketStartMs: number) => Buffer) {}

  /** A nonce to send in `DPoP-Nonce`: the current bucket's. */
  issue(): string {
    return this.nonceOf(this.bucketNow());
  }

  /** Whether a proof's `nonce` claim is one this installation issued in this bucket or the last. */
  readonly accepts = (nonce: unknown): boolean => {
    // Held to the shape first: one byte per character, so the comparison's lengths are equal.
    if (typeof nonce !== 'string' || !NONCE_SHAPE.test(nonce)) return false;
    const bucket = this.bucketNow();
    return same(nonce, this.nonceOf(bucket)) || same(nonce, this.nonceOf(bucket - 1));
  };

  private bucketNow(): number {
    return Math.floor(this.clock() / DPOP_NONCE_BUCKET_MS);
  }

  private nonceOf(bucket: number): string {
    const known = this.made.get(bucket);
    if (known !== undefined) return known;
    const key = this.keyAt(bucket * DPOP_NONCE_BUCKET_MS);
    const nonce = createHmac('sha256', key).update(`dpop-nonce:${bucket}`).digest('base64url');
    // Bounded: a clock that moves (or a test that moves it) never grows the map past a few.
    if (this.made.size >= 4) this.made.clear();
    this.made.set(bucket, nonce);
    return nonce;
  }
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

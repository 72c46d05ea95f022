import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { boundedLru } from '../../common/bounded-lru';
import type { RedisClient } from '../../redis/redis-connections';

/**
 * Remembers each proof's (jkt, jti) so that one proof is accepted once (RFC 9449 §11.1). Keyed by
 * the key as well as the jti: a jti is chosen by the client, and one client cannot spend another
 * key's jti. `ttlMs` must cover every moment the proof could still pass verifyDpopProof: an `iat`
 * up to `windowSeconds` ahead stays acceptable until `windowSeconds` after it, so 2 × window
 * (plus the clock skew between instances, when they share the cache).
 */
export abstract class DpopReplayCache {
  /** True the first time (jkt, jti) is claimed within `ttlMs`, false for a replay. */
  abstract claim(jkt: string, jti: string, ttlMs: number): Promise<boolean>;
  /** Releases what the cache holds, for a store that owns a resource; optional. */
  close?(): Promise<void>;
}

/**
 * One spelling of the pair for both stores, of fixed length whatever the jti. The length prefix
 * keeps ("ab", "c") and ("a", "bc") apart for any text, not only for base64url thumbprints.
 */
function pairDigest(jkt: string, jti: string): string {
  return hash('sha256', `${jkt.length}:${jkt}|${jti}`, 'hex');
}

function ttlOf(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError('A DPoP replay TTL must be a positive number of milliseconds');
  }
  return Math.ceil(ttlMs);
}

/**
 * One instance's memory. When full, the oldest claims go first (nothing reads an entry back, so
 * the LRU order is the order of claims): memory stays bounded, and an evicted proof could be
 * replayed, but only after `maxEntries` newer claims pushed it out. Size it as at least the peak
 * claims per second × the TTL in seconds, so that an entry is evicted only once its proof's `iat`
 * is out of the window anyway. Several instances each keep their own: use RedisDpopReplayCache.
 */
export class MemoryDpopReplayCache extends DpopReplayCache {
  /**
   * Made at the first claim, and grown as claims come (`boundedLru`): reserved up front, 1.2M
   * entries cost about 100 ms and 20 MiB, and most installations never see a DPoP proof.
   */
  private claims?: LRUCache<string, true>;

  /**
   * `clock` is lru-cache's own (`performance`): it is read through the object lru-cache captured
   * when it loaded, which jest's fake timers do not reach, so a test hands in one it moves.
   */
  constructor(
    private readonly maxEntries: number,
    private readonly clock?: { now(): number },
  ) {
    super();
  }

  /** The claims held, expired ones included until they are evicted or claimed again. */
  get size(): number {
    return this.claims?.size ?? 0;
  }

  claim(jkt: string, jti: string, ttlMs: number): Promise<boolean> {
    // The executor runs at once, so has-then-set is one synchronous step that no other claim
    // interleaves with; and a bad TTL rejects, as Redis's would, instead of throwing.
    return new Promise((resolve) => {
      const ttl = ttlOf(ttlMs);
      const key = pairDigest(jkt, jti);
      // ttlResolution 0: each expiry is read against the clock itself, to the millisecond, and no
      // timer is started per lookup (lru-cache's default caches the clock for 1 ms with one).
      const claims = (this.claims ??= boundedLru<string, true>(this.maxEntries, {
        ttlResolution: 0,
        perf: this.clock,
      }));
      if (claims.has(key)) return resolve(false);
      claims.set(key, true, { ttl });
      resolve(true);
    });
  }
}

/** A claim waiting for the next pipeline: its key, its TTL and its caller. */
interface PendingClaim {
  key: string;
  ttl: number;
  resolve: (granted: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Shared by every instance through Redis: `SET … NX` is one atomic command, so of two instances
 * claiming one proof at once exactly one wins. The key holds a hash, not the jti: a caller-chosen
 * text never reaches Redis as such (no odd bytes, no unbounded key). A Redis error rejects: the
 * caller answers 503 rather than let a proof through unchecked. The client belongs to whoever
 * made it (a RedisConnections client, say, with `enableOfflineQueue: false` to fail fast), who
 * quits it; so this cache has nothing to close.
 */
export class RedisDpopReplayCache extends DpopReplayCache {
  private pending: PendingClaim[] = [];

  constructor(
    private readonly client: RedisClient,
    private readonly keyPrefix: string,
  ) {
    super();
  }

  /**
   * Claims made while one turn of the event loop reads its sockets go as one pipeline once that
   * I/O is done (setImmediate, as ioredis's own auto-pipelining): under the DPoP bench a pipeline
   * carried 11 claims on average, one write and one read where each claim took its own
   * (docs/performance.md). A Cluster's keys lie in many slots, which one pipeline cannot hold.
   */
  claim(jkt: string, jti: string, ttlMs: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const claim = { key: `${this.keyPrefix}dpop:${pairDigest(jkt, jti)}`, ttl: ttlOf(ttlMs) };
      if (this.client.isCluster) {
        this.client.set(claim.key, '1', 'PX', claim.ttl, 'NX').then((answer) => {
          resolve(answer === 'OK');
        }, reject);
        return;
      }
      if (this.pending.length === 0) setImmediate(() => this.send());
      this.pending.push({ ...claim, resolve, reject });
    });
  }

  private send(): void {
    const claims = this.pending;
    this.pending = [];
    const commands = claims.map(({ key, ttl }) => ['set', key, '1', 'PX', String(ttl), 'NX']);
    this.client
      .pipeline(commands)
      .exec()
      .then(
        (answers) =>
          claims.forEach((claim, i) => {
            const [error, answer] = answers?.[i] ?? [new Error('Redis gave no answer')];
            if (error) claim.reject(error);
            else claim.resolve(answer === 'OK');
          }),
        (error: unknown) => claims.forEach((claim) => claim.reject(error)),
      );
  }
}

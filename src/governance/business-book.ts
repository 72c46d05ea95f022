import { LRUCache } from 'lru-cache';
import { boundedLru } from '../common/bounded-lru';
import type { Invalidations } from '../common/invalidations';

const BUSINESSES_KEPT = 10_000;

/**
 * What the request path needs of each business's own settings (its shared limits, its credit
 * accounts), from memory: a hit costs a map lookup, and a miss one read that concurrent calls
 * share. A change is heard on the bus (`business.changed`, published when one commits), so it
 * applies at once on the instance that made it and within a bus delivery elsewhere; `ttlMs`
 * bounds the staleness when a message is lost, and the bus going down or coming back empties the
 * book. A read that fails serves the business's last value known, when there is one.
 */
export class BusinessBook<T extends object> {
  private readonly known: LRUCache<string, T>;
  private readonly reading = new Map<string, Promise<T>>();
  /** Bumped by every eviction, so a read that raced one is served but not kept. */
  private generation = 0;
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly read: (businessId: string) => Promise<T>,
    invalidations: Invalidations,
    ttlMs: number,
  ) {
    // A stale entry stays until replaced: it is served when a read fails.
    this.known = boundedLru<string, T>(BUSINESSES_KEPT, {
      ttl: ttlMs,
      noDeleteOnStaleGet: true,
    });
    this.unsubscribe = [
      invalidations.subscribe((message) => {
        if (message.type !== 'business.changed') return;
        this.generation++;
        this.known.delete(message.business_id);
      }),
      invalidations.onStateChange(() => {
        this.generation++;
        this.known.clear();
      }),
    ];
  }

  get(businessId: string): T | Promise<T> {
    const known = this.known.get(businessId);
    if (known !== undefined) return known;
    let read = this.reading.get(businessId);
    if (read === undefined) {
      const generation = this.generation;
      read = this.readOrStale(businessId)
        .then((value) => {
          if (generation === this.generation) this.known.set(businessId, value);
          return value;
        })
        .finally(() => this.reading.delete(businessId));
      this.reading.set(businessId, read);
    }
    return read;
  }

  close(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
  }

  private async readOrStale(businessId: string): Promise<T> {
    try {
      return await this.read(businessId);
    } catch (e) {
      const stale = this.known.get(businessId, { allowStale: true });
      if (stale === undefined) throw e;
      return stale;
    }
  }
}

import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { SharedLimitBook } from '../../auth/ports';
import { RevocationBus } from '../../bus/revocation-bus';
import { Database } from '../../database/connection/read-routing';
import type { BusinessLimits, SharedLimitRule } from '../../throttle/shared-limits';
import { BusinessLimitsRepository } from './business-limits.repository';

/** How long a business's limits are served from memory before they are read again. */
export const LIMITS_TTL_MS = 5_000;
const BUSINESSES_KEPT = 10_000;

/**
 * Each business's shared limits for the request path, from memory: a business with none costs a
 * map lookup, and a miss one read that concurrent calls share. A change is heard on the bus
 * (`business.changed`, published when one commits), so it applies at once on the instance that
 * made it and within a bus delivery elsewhere; `LIMITS_TTL_MS` bounds the staleness when a
 * message is lost, and the bus going down or coming back empties the book. A read that fails
 * serves the business's last limits known, when there are any, rather than fail the call.
 */
@Injectable()
export class LimitBook extends SharedLimitBook implements OnModuleDestroy {
  private readonly known = new LRUCache<string, BusinessLimits>({
    max: BUSINESSES_KEPT,
    ttl: LIMITS_TTL_MS,
    // A stale entry stays until replaced: it is served when a read fails (`read`).
    noDeleteOnStaleGet: true,
  });
  private readonly reading = new Map<string, Promise<BusinessLimits>>();
  /** Bumped by every eviction, so a read that raced one is served but not kept. */
  private generation = 0;
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly limits: BusinessLimitsRepository,
    private readonly database: Database,
    bus: RevocationBus,
  ) {
    super();
    this.unsubscribe = [
      bus.subscribe((message) => {
        if (message.type !== 'business.changed') return;
        this.generation++;
        this.known.delete(message.business_id);
      }),
      bus.onStateChange(() => {
        this.generation++;
        this.known.clear();
      }),
    ];
  }

  limitsOf(businessId: string): BusinessLimits | Promise<BusinessLimits> {
    const known = this.known.get(businessId);
    if (known !== undefined) return known;
    let read = this.reading.get(businessId);
    if (read === undefined) {
      const generation = this.generation;
      read = this.read(businessId)
        .then((limits) => {
          if (generation === this.generation) this.known.set(businessId, limits);
          return limits;
        })
        .finally(() => this.reading.delete(businessId));
      this.reading.set(businessId, read);
    }
    return read;
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
  }

  private async read(businessId: string): Promise<BusinessLimits> {
    const db = this.database.primary;
    let rows, overrides;
    try {
      [rows, overrides] = await Promise.all([
        this.limits.limitsOf(businessId, db),
        this.limits.overridesOf(businessId, db),
      ]);
    } catch (e) {
      const stale = this.known.get(businessId, { allowStale: true });
      if (stale === undefined) throw e;
      return stale;
    }
    const book = new Map<string, SharedLimitRule>();
    for (const row of rows) {
      const own = overrides.filter((o) => o.name === row.name);
      book.set(row.name, {
        name: row.name,
        window: row.window,
        perBusiness: row.perBusiness,
        perIdentity: row.perIdentity,
        overrides: new Map(own.map((o) => [o.identityId, o.perIdentity])),
      });
    }
    return book;
  }
}

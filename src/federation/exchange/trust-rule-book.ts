import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Invalidations } from '../../common/invalidations';
import { Database } from '../../database/connection/read-routing';
import { lazy } from '../../common/lazy';
import type { TrustRule } from '../store/trust-rule.entity';
import { TrustRulesRepository } from '../store/trust-rules.repository';

/** How long a business's rules for an issuer are served from memory before they are read again. */
export const TRUST_RULES_TTL_MS = 5_000;
/** (business, issuer) pairs kept, at most, and their size in all (keys and rules, roughly in bytes). */
const PAIRS_KEPT = 10_000;
const BYTES_KEPT = 16 * 1024 * 1024;

/**
 * The trust rules of a business for one issuer, what each exchange matches its JWT against, from
 * memory: a hit is a map lookup instead of a read through TypeORM's query builder. A rule's change
 * is heard on the bus (`business.changed`, published when a rule is made or deleted, and
 * `membership.changed` when a machine's membership ends, which deletes its rules), so it applies
 * at once on the instance that made it, before the change's answer is sent, and within a bus
 * delivery elsewhere; `TRUST_RULES_TTL_MS` bounds the staleness when a message is lost, and the
 * bus going down or coming back empties the book. A JWT's issuer is read before its signature is
 * checked, so anyone may ask for any issuer: the book is bounded in pairs and in bytes, and an
 * unknown issuer's empty answer is kept like any other.
 */
@Injectable()
export class TrustRuleBook implements OnModuleDestroy {
  private readonly known = lazy(
    () =>
      new LRUCache<string, readonly TrustRule[]>({
        max: PAIRS_KEPT,
        maxSize: BYTES_KEPT,
        sizeCalculation: (rules, key) => key.length + rules.reduce((n, r) => n + ruleSize(r), 1),
        ttl: TRUST_RULES_TTL_MS,
        // An entry gone by age or room leaves its business's list too, which so stays bounded.
        dispose: (_rules, key) => this.unlist(key),
      }),
  );
  /** Each business's keys in `known`, so that its change drops them all. */
  private readonly keysOf = new Map<string, Set<string>>();
  /** Bumped by every eviction, so a read that raced one is served but not kept. */
  private generation = 0;
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly rules: TrustRulesRepository,
    private readonly database: Database,
    invalidations: Invalidations,
  ) {
    this.unsubscribe = [
      invalidations.subscribe((message) => {
        if (message.type === 'business.changed' || message.type === 'membership.changed') {
          this.forget(message.business_id);
        }
      }),
      invalidations.onStateChange(() => {
        this.generation++;
        this.known().clear();
        this.keysOf.clear();
      }),
    ];
  }

  /** The business's rules for `issuer`, oldest first (`TrustRulesRepository.findByIssuer`). */
  async ofIssuer(businessId: string, issuer: string): Promise<readonly TrustRule[]> {
    const key = `${businessId}\n${issuer}`;
    const kept = this.known().get(key);
    if (kept !== undefined) return kept;
    const generation = this.generation;
    const read = await this.rules.findByIssuer(businessId, issuer, this.database.primary);
    if (generation === this.generation) {
      this.known().set(key, read);
      let keys = this.keysOf.get(businessId);
      if (keys === undefined) this.keysOf.set(businessId, (keys = new Set()));
      keys.add(key);
    }
    return read;
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
  }

  private unlist(key: string): void {
    const businessId = key.slice(0, key.indexOf('\n'));
    const keys = this.keysOf.get(businessId);
    if (keys?.delete(key) && keys.size === 0) this.keysOf.delete(businessId);
  }

  private forget(businessId: string): void {
    this.generation++;
    const keys = this.keysOf.get(businessId);
    if (keys === undefined) return;
    for (const key of [...keys]) this.known().delete(key);
    this.keysOf.delete(businessId);
  }
}

/** A rule's weight in the book: its texts and its inline key set, roughly in bytes. */
function ruleSize(rule: TrustRule): number {
  return 512 + (rule.jwks ? JSON.stringify(rule.jwks).length : 0) + rule.subject.length;
}

import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { boundedLru } from '../../common/bounded-lru';
import { lazy } from '../../common/lazy';
import type { AddressSet } from '../../common/validation/cidr';
import { DataSource } from 'typeorm';
import { type InvalidationMessage, Invalidations } from '../../common/invalidations';
import { SqliteCommitWatch } from '../../database/connection/sqlite-commit-watch';
import { AppConfig } from '../../config/app-config';
import type { VerifiedPrincipal } from '../../auth/ports';
import type { VerifiedToken } from './token-record';
import { Metrics } from '../../metrics/metrics';
import type { TokenRef } from '../tokens.events';

/** At most this many live tokens are cached per instance (about 1 KB each). */
const MAX_ENTRIES = 50_000;
/** Unknown hashes are remembered briefly, so a flood of made-up tokens costs one read each. */
const UNKNOWN_TTL_MS = 1000;
const MAX_UNKNOWN = 10_000;

/**
 * What the hot path needs about one token, as read in one query: enough to decide every request
 * against the clock without the database. Immutable, and shared by the requests it serves.
 */
export interface TokenSnapshot {
  /** The token as events name it (a rejected use is recorded with it). */
  readonly ref: Readonly<TokenRef>;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  /** Set while the token is paused: it is refused (401 TOKEN_DISABLED) until enabled. */
  readonly disabledAt: Date | null;
  readonly identityDeleted: boolean;
  readonly isPlatformAdmin: boolean;
  /** Null when the identity holds no membership of the token's business (or for a platform token). */
  readonly role: VerifiedPrincipal['role'];
  /**
   * True when the token was made before the membership it would speak under: a token from an
   * earlier membership of the same person, which must never come back to life.
   */
  readonly predatesMembership: boolean;
  /** The networks the token may be used from, parsed once; null for anywhere. */
  readonly addresses: AddressSet | null;
  /** Its business's policy binds such a holder's tokens to keys (`require_dpop`). */
  readonly keyRequired: boolean;
  /** What a live token authenticates as; built once per snapshot, not once per request. */
  readonly principal: VerifiedPrincipal & { readonly token: VerifiedToken };
}

/** What one snapshot costs in memory, roughly: a fixed part, and its text at two bytes a unit. */
const SNAPSHOT_BASE_BYTES = 2048;

/** The snapshot's size for the cache's byte bound: the text it holds, which callers chose. */
export function snapshotBytes(snapshot: TokenSnapshot): number {
  const { actor, token } = snapshot.principal;
  const row = token.row;
  let text =
    snapshot.ref.name.length +
    actor.label.length +
    (actor.email?.length ?? 0) +
    (actor.name?.length ?? 0) +
    (token.business?.name.length ?? 0) +
    token.createdBy.length;
  for (const scope of token.scopes ?? []) text += scope.length + 16;
  // The networks are held twice (the row and the parsed set, with its memo of addresses).
  for (const cidr of token.allowedCidrs ?? []) text += 2 * cidr.length + 64;
  for (const audience of token.audiences ?? []) text += audience.length + 16;
  if (snapshot.addresses) text += 64 * 64;
  if (row) {
    text += row.name.length + row.createdBy.length + (row.revocationReason?.length ?? 0);
    text += (row.disabledBy?.length ?? 0) + (row.disabledReason?.length ?? 0);
    // Read once, when the snapshot is cached; at most 4 KiB as JSON.
    if (row.meta) text += JSON.stringify(row.meta).length;
    for (const scope of row.scopes ?? []) text += scope.length + 16;
  }
  return SNAPSHOT_BASE_BYTES + 2 * text;
}

/**
 * The verifier's cache: hash → snapshot, with a TTL of `TOKEN_CACHE_TTL_MS` (at most 10 s), plus
 * a short negative cache of unknown hashes. Every bus message evicts what it touches, through
 * indexes by jti, business and membership, so an eviction costs what it evicts.
 *
 * Two guards keep it exact:
 * - a read that raced an eviction is served but not cached (the generation it started under);
 * - while the bus may be missing messages (Redis down), the cache is emptied and bypassed, and
 *   emptied again when the bus is back.
 */
@Injectable()
export class VerifierCache implements OnModuleDestroy {
  /** Made on first use (`lazy`), null when the cache is off. */
  private readonly newEntries: (() => LRUCache<string, TokenSnapshot>) | null;
  private readonly newUnknown: (() => LRUCache<string, true>) | null;
  private readonly byJti = new Map<string, string>();
  private readonly byBusiness = new Map<string, Set<string>>();
  private readonly byMember = new Map<string, Set<string>>();
  private generation = 0;
  private bypass: boolean;
  private readonly unsubscribe: (() => void)[];
  private readonly sqliteCommits: SqliteCommitWatch | null;

  constructor(
    config: AppConfig,
    invalidations: Invalidations,
    dataSource: DataSource,
    private readonly metrics: Metrics,
  ) {
    metrics.watchCacheSize(() => this.size);
    const ttl = config.TOKEN_CACHE_TTL_MS;
    // A TTL of 0 turns the cache off (lru-cache would read 0 as "no TTL").
    this.newEntries =
      ttl > 0
        ? lazy(
            () =>
              new LRUCache<string, TokenSnapshot>({
                max: MAX_ENTRIES,
                // Bounded in bytes too: entries are as large as the names and scopes callers chose.
                maxSize: config.TOKEN_CACHE_MAX_BYTES,
                sizeCalculation: snapshotBytes,
                ttl,
                dispose: (snapshot, hash) => this.unindex(hash, snapshot),
              }),
          )
        : null;
    this.newUnknown =
      ttl > 0
        ? lazy(() => boundedLru<string, true>(MAX_UNKNOWN, { ttl: Math.min(ttl, UNKNOWN_TTL_MS) }))
        : null;
    this.bypass = !invalidations.state.connected;
    // Without Redis, other processes on the same SQLite file are heard through the file itself.
    this.sqliteCommits =
      this.newEntries && invalidations.state.transport === 'in-process'
        ? SqliteCommitWatch.of(dataSource)
        : null;
    this.unsubscribe = [
      invalidations.subscribe((message) => this.evict(message)),
      invalidations.onStateChange((connected) => {
        // Whatever was cached may have missed a message: start again from the database.
        this.flush();
        this.bypass = !connected;
      }),
    ];
  }

  private get entries(): LRUCache<string, TokenSnapshot> | null {
    return this.newEntries?.() ?? null;
  }

  private get unknown(): LRUCache<string, true> | null {
    return this.newUnknown?.() ?? null;
  }

  /** True while the cache is bypassed because the bus may be missing messages. */
  get bypassed(): boolean {
    return this.bypass;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  /**
   * The snapshot of `hash`: from the cache, or else read by `load` and kept. A hash `load` found
   * nothing for is remembered as unknown for a while too. A read that raced an eviction (a bus
   * message arrived while it ran) is answered but not kept. A hit answers at once, with no
   * promise: that is the hot path. One lookup counts one hit or one miss.
   */
  getOrLoad(
    hash: string,
    load: (hash: string) => Promise<TokenSnapshot | null>,
  ): TokenSnapshot | null | Promise<TokenSnapshot | null> {
    if (this.bypass) {
      this.metrics.cacheLookup(false);
      return load(hash);
    }
    if (this.sqliteCommits?.changed()) this.flush();
    const snapshot = this.entries?.get(hash);
    if (snapshot || this.unknown?.has(hash)) {
      this.metrics.cacheLookup(true);
      return snapshot ?? null;
    }
    this.metrics.cacheLookup(false);
    return this.loadAndKeep(hash, load);
  }

  /** What the cache holds for `hash`, counting nothing and reading nothing: for tests. */
  peek(hash: string): TokenSnapshot | null | undefined {
    if (this.entries?.has(hash)) return this.entries.get(hash);
    return this.unknown?.has(hash) ? null : undefined;
  }

  private async loadAndKeep(
    hash: string,
    load: (hash: string) => Promise<TokenSnapshot | null>,
  ): Promise<TokenSnapshot | null> {
    const generation = this.generation;
    const snapshot = await load(hash);
    // A bus message (or the bus going down) while the read ran: the read may predate it.
    if (generation !== this.generation || this.bypass) return snapshot;
    if (snapshot && this.entries) {
      this.entries.set(hash, snapshot);
      this.index(hash, snapshot);
    } else if (!snapshot) this.unknown?.set(hash, true);
    return snapshot;
  }

  /** Drops what a bus message touches. */
  evict(message: InvalidationMessage): void {
    this.generation++;
    switch (message.type) {
      case 'token.changed': {
        const hash = this.byJti.get(message.jti);
        if (hash !== undefined) this.entries?.delete(hash);
        break;
      }
      case 'business.changed':
        this.deleteAll(this.byBusiness.get(message.business_id));
        break;
      case 'membership.changed':
        this.deleteAll(this.byMember.get(memberKey(message.business_id, message.identity_id)));
        break;
    }
  }

  flush(): void {
    this.generation++;
    this.entries?.clear();
    this.unknown?.clear();
    this.byJti.clear();
    this.byBusiness.clear();
    this.byMember.clear();
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
  }

  private deleteAll(hashes: Set<string> | undefined): void {
    if (!hashes) return;
    // Deleting disposes, which edits the set: iterate over a copy.
    for (const hash of [...hashes]) this.entries?.delete(hash);
  }

  private index(hash: string, snapshot: TokenSnapshot): void {
    const { jti, businessId, identityId } = snapshot.ref;
    this.byJti.set(jti, hash);
    if (businessId === null) return;
    addTo(this.byBusiness, businessId, hash);
    addTo(this.byMember, memberKey(businessId, identityId), hash);
  }

  private unindex(hash: string, snapshot: TokenSnapshot): void {
    const { jti, businessId, identityId } = snapshot.ref;
    if (this.byJti.get(jti) === hash) this.byJti.delete(jti);
    if (businessId === null) return;
    removeFrom(this.byBusiness, businessId, hash);
    removeFrom(this.byMember, memberKey(businessId, identityId), hash);
  }
}

const memberKey = (businessId: string, identityId: string) => `${businessId}/${identityId}`;

function addTo(index: Map<string, Set<string>>, key: string, hash: string): void {
  const hashes = index.get(key);
  if (hashes) hashes.add(hash);
  else index.set(key, new Set([hash]));
}

function removeFrom(index: Map<string, Set<string>>, key: string, hash: string): void {
  const hashes = index.get(key);
  if (!hashes) return;
  hashes.delete(hash);
  if (hashes.size === 0) index.delete(key);
}

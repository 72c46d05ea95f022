import { createHash } from 'node:crypto';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Invalidations } from '../../common/invalidations';
import { AppConfig } from '../../config/app-config';
import { Database } from '../../database/connection/read-routing';
import { JwtSigner } from '../../signing/jwt-signer';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { StatusListsRepository } from '../store/repositories/status-lists.repository';
import { StatusListReferences } from './status-list-references';
import { encodeStatusList } from './token-status-list';

/** One list as served: the signed JWT and the JSON form, each with its ETag. */
export interface ServedList {
  jwt: { body: string; etag: string };
  json: { body: string; etag: string };
  /** When this instance stops serving it (ms): the `ttl` after it was built, or sooner. */
  until: number;
}

interface Held {
  /** Unknown (undefined) until the build has read the list. */
  businessId?: string | null;
  served: Promise<ServedList | null>;
  /** Settled, and so kept until `until`; a build in flight is shared by its callers. */
  until?: number;
}

/** At most this many lists are kept built in one instance; the least recently built go first. */
const MAX_HELD = 10_000;
/**
 * While the bus is down, how long a built list is kept: no message can drop it, so it stands
 * this long at most, and a public list fetched in a loop costs one build a second, not one each.
 */
const BYPASS_KEEP_MS = 1_000;

/**
 * Builds, signs and keeps the status lists this instance serves. A list is read from its tokens'
 * rows, so it is never behind a committed revocation for longer than it is kept: until its `ttl`
 * runs out, the first of its tokens expires, or a change to one of its business's tokens (or to
 * the business) reaches this instance on the revocation bus, which drops it. While the bus is
 * down a list is kept a second at most (the verifier reads through its cache then).
 */
@Injectable()
export class StatusListService implements OnModuleDestroy {
  private readonly logger = new Logger(StatusListService.name);
  private readonly held = new Map<string, Held>();
  /** The held lists of each business (null: the platform's), and those whose build has not said. */
  private readonly ofBusiness = new Map<string | null, Set<string>>();
  private readonly unplaced = new Set<string>();
  private bypass = false;
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly config: AppConfig,
    private readonly references: StatusListReferences,
    private readonly lists: StatusListsRepository,
    private readonly database: Database,
    private readonly signer: JwtSigner,
    private readonly tenancy: TenancyDirectory,
    invalidations: Invalidations,
  ) {
    // A deployment (PostgreSQL) whose lists name localhost hands relying parties an address
    // they cannot reach: said at start, as a feature that would otherwise fail quietly.
    if (config.databaseDriver === 'postgres' && config.PUBLIC_BASE_URL === undefined) {
      this.logger.warn(
        `PUBLIC_BASE_URL is not set: status lists name ${references.uriOf('…')}, which relying ` +
          'parties elsewhere cannot reach; set it to the address they reach this installation at',
      );
    }
    this.unsubscribe = [
      invalidations.subscribe((message) => this.drop(message.business_id)),
      invalidations.onStateChange((connected) => {
        this.held.clear();
        this.ofBusiness.clear();
        this.unplaced.clear();
        this.bypass = !connected;
      }),
    ];
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe) off();
  }

  /** The list as served now (null: there is no such list). */
  served(listId: string): Promise<ServedList | null> {
    const now = Date.now();
    const known = this.held.get(listId);
    if (known && (known.until === undefined || known.until > now)) return known.served;
    const served = this.build(listId, now);
    const bypassed = this.bypass;
    const entry: Held = { served };
    this.forget(listId);
    this.held.set(listId, entry);
    this.unplaced.add(listId);
    this.trim();
    served.then(
      (list) => {
        if (this.held.get(listId) !== entry) return;
        if (list === null) this.forget(listId);
        else entry.until = bypassed ? Math.min(list.until, now + BYPASS_KEEP_MS) : list.until;
      },
      () => {
        if (this.held.get(listId) === entry) this.forget(listId);
      },
    );
    return served;
  }

  private async build(listId: string, now: number): Promise<ServedList | null> {
    const db = this.database.primary;
    const list = await this.lists.findList(listId, db);
    if (!list) return null;
    this.place(listId, list.businessId);
    const business = list.businessId ? await this.tenancy.findBusiness(list.businessId) : null;
    const suspended = business !== null && business.status !== 'active';
    const { tokens, nextExpiry } = await this.lists.listed(listId, new Date(now), suspended, db);
    const ttl = this.config.STATUS_LIST_TTL_SECONDS;
    const iat = Math.floor(now / 1000);
    const claims = {
      sub: this.references.uriOf(listId),
      iat,
      // Twice the ttl: a relying party that fetched it just before an HTTP cache's copy ran out
      // still holds a list that has not expired when its own ttl ends.
      exp: iat + 2 * ttl,
      ttl,
      status_list: encodeStatusList(list.capacity, tokens, suspended),
    };
    const jwt = await this.signer.sign({ typ: 'statuslist+jwt' }, claims);
    const json = JSON.stringify(claims);
    const until = Math.min(now + ttl * 1000, nextExpiry ? nextExpiry.getTime() : Infinity);
    return {
      jwt: { body: jwt, etag: etagOf(jwt) },
      json: { body: json, etag: etagOf(json) },
      until,
    };
  }

  /** Drops every list of the business a change touched (the platform's lists: null). */
  private drop(businessId: string | null): void {
    // A list whose build has not yet read its business may be of any: it goes too.
    for (const id of [...(this.ofBusiness.get(businessId) ?? []), ...this.unplaced]) {
      this.forget(id);
    }
  }

  /** Files a held list under its business, once its build has read it. */
  private place(listId: string, businessId: string | null): void {
    const entry = this.held.get(listId);
    if (!entry || !this.unplaced.delete(listId)) return;
    entry.businessId = businessId;
    let ids = this.ofBusiness.get(businessId);
    if (!ids) this.ofBusiness.set(businessId, (ids = new Set()));
    ids.add(listId);
  }

  private forget(listId: string): void {
    const entry = this.held.get(listId);
    if (!entry) return;
    this.held.delete(listId);
    this.unplaced.delete(listId);
    if (entry.businessId === undefined) return;
    const ids = this.ofBusiness.get(entry.businessId);
    ids?.delete(listId);
    if (ids?.size === 0) this.ofBusiness.delete(entry.businessId);
  }

  private trim(): void {
    while (this.held.size > MAX_HELD) this.forget(this.held.keys().next().value as string);
  }
}

function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

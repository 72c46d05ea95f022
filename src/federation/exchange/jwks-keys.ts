import { Injectable } from '@nestjs/common';
import {
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
  type KeyLike,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../../config/app-config';
import type { TargetPolicy } from '../../common/address-guard';
import { fetchJwks, JwksUnavailable } from './jwks-fetch';
import { usableKeys } from '../rules/trust-rule-checks';
import type { TrustRule } from '../store/trust-rule.entity';

/** An unknown `kid` fetches a `jwks_uri` again at most this often. */
export const REFETCH_COOLDOWN_MS = 60_000;

type KeySet = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<KeyLike>;

interface Fetched {
  keys: KeySet;
  fetchedAt: number;
}

/**
 * The keys a trust rule verifies with: its inline key set, or its `jwks_uri`'s, fetched under the
 * webhooks' address rules with a short timeout and kept for FEDERATION_JWKS_CACHE_SECONDS. A JWT
 * whose `kid` the kept set lacks fetches the set again (the issuer rotated its keys), at most
 * once a minute per URI, so a stream of made-up `kid`s cannot turn this instance into a client
 * that hammers the issuer. One fetch per URI at a time; concurrent exchanges wait on it.
 */
@Injectable()
export class JwksKeys {
  /** The clock the cache reads; a test moves it to see the minute pass. */
  clock: () => number = Date.now;

  private readonly policy: TargetPolicy;
  private readonly timeoutMs: number;
  private readonly maxAgeMs: number;
  private readonly remote = new LRUCache<string, Fetched>({ max: 1000 });
  private readonly inFlight = new Map<string, Promise<Fetched>>();
  /** When each URI was last fetched (or tried), for the cooldown; outlives a failed fetch. */
  private readonly lastTried = new LRUCache<string, number>({ max: 1000 });
  private readonly inline = new LRUCache<string, KeySet>({ max: 1000 });

  constructor(config: AppConfig) {
    this.policy = {
      allowHttp: config.FEDERATION_JWKS_ALLOW_HTTP,
      allowPrivate: config.FEDERATION_JWKS_ALLOW_PRIVATE,
    };
    this.timeoutMs = config.FEDERATION_JWKS_TIMEOUT_MS;
    this.maxAgeMs = config.FEDERATION_JWKS_CACHE_SECONDS * 1000;
  }

  /** The address rules a `jwks_uri` is held to. */
  get targetPolicy(): TargetPolicy {
    return this.policy;
  }

  /** A key resolver for jose's `jwtVerify`, over the rule's keys. */
  resolverFor(rule: TrustRule): JWTVerifyGetKey {
    if (rule.jwks) {
      let keys = this.inline.get(rule.id);
      if (!keys) {
        keys = createLocalJWKSet({ keys: usableKeys(rule.jwks) });
        this.inline.set(rule.id, keys);
      }
      return keys;
    }
    const uri = rule.jwksUri!;
    return async (header, token) => {
      let fetched = await this.current(uri);
      try {
        return await fetched.keys(header, token);
      } catch (e) {
        if (!(e instanceof errors.JWKSNoMatchingKey)) throw e;
        if (!this.mayRefetch(uri)) throw e;
        fetched = await this.fetch(uri);
        return fetched.keys(header, token);
      }
    };
  }

  private async current(uri: string): Promise<Fetched> {
    const kept = this.remote.get(uri);
    if (kept && this.clock() - kept.fetchedAt < this.maxAgeMs) return kept;
    // Stale or absent: fetch; a stale set still serves while its issuer cannot be reached, and
    // a set that could not be fetched is tried again once the cooldown has passed, not per JWT.
    if (!this.inFlight.has(uri) && !this.mayRefetch(uri)) {
      if (kept) return kept;
      throw new JwksUnavailable('the key set could not be fetched; it is tried again each minute');
    }
    try {
      return await this.fetch(uri);
    } catch (e) {
      if (kept) return kept;
      throw e;
    }
  }

  private mayRefetch(uri: string): boolean {
    const last = this.lastTried.get(uri);
    return last === undefined || this.clock() - last >= REFETCH_COOLDOWN_MS;
  }

  private fetch(uri: string): Promise<Fetched> {
    const running = this.inFlight.get(uri);
    if (running) return running;
    this.lastTried.set(uri, this.clock());
    const work = fetchJwks(uri, this.policy, this.timeoutMs)
      .then((document) => {
        const fetched = {
          keys: createLocalJWKSet({ keys: usableKeys(document) }),
          fetchedAt: this.clock(),
        };
        this.remote.set(uri, fetched);
        return fetched;
      })
      .finally(() => this.inFlight.delete(uri));
    this.inFlight.set(uri, work);
    return work;
  }
}

export { JwksUnavailable };

import { LRUCache } from 'lru-cache';
import { LatchkeyHttp } from './edge/http';
import { JwksKeys } from './edge/jwks-keys';
import { STATUS, StatusLists } from './edge/status-lists';
import { checkOptions, KnownToken, requirementKey } from './edge/known-token';
import {
  type EdgeRefused,
  type EdgeSetupCheck,
  type EdgeVerifyOptions,
  type EdgeVerifyResult,
  EXPIRED,
  FORBIDDEN,
  INVALID,
  REVOKED,
  SUSPENDED,
  UNREACHABLE,
} from './edge/results';
import type { EdgeVerifierOptions, EdgeVerifierStats } from './edge/options';
import type { VerifiedClaims } from './edge/verify-answer';
import { setupCheckOf, VerifyCall } from './edge/verify-call';
import { canonicalResource } from './edge/resource-uri';

export type { EdgeVerifierOptions, EdgeVerifierStats } from './edge/options';
export { SsfReceiver } from './ssf/receiver';
export type { SsfAnswer, SsfPush, SsfReceiverOptions, SsfReceiverStats } from './ssf/receiver';
export type {
  EdgeRefusalReason,
  EdgeRefused,
  EdgeSetupCheck,
  EdgeVerified,
  EdgeVerifyOptions,
  EdgeVerifyResult,
} from './edge/results';

/** What could be a token in an Authorization header; anything else is refused without a call. */
const TOKEN_SHAPE = /^[\x21-\x7e]{1,512}$/;

interface Online {
  result: EdgeVerifyResult;
  /** The token is Latchkey's to check every time (`checkOnline`): no check shares its call. */
  checkOnline: boolean;
}

/**
 * Checks Latchkey tokens for a relying party, calling Latchkey once per token rather than once
 * per request: the first check is `GET /auth/verify`, and every later one reads the token's bits
 * in its Token Status List (docs/edge.md), fetched once per `ttl` for all the tokens in it and
 * verified against Latchkey's JWKS. A revocation is seen within the list's `ttl` plus one fetch,
 * and a change of role within `claimsMaxAgeSeconds`. A token with a constraint no list carries
 * (networks, a rate limit, a uses limit: `X-Latchkey-Check-Online`) is checked online every time,
 * with that check's `clientAddress` as `X-Forwarded-For` so its networks are matched against the
 * caller who presented it (Latchkey's `TRUST_PROXY` naming this service). What it learns is
 * kept in this process's memory alone, keyed by the token string: nothing is written or logged.
 */
export class EdgeVerifier {
  /**
   * The resource (RFC 8707, canonical) every check is made at, or null. What Latchkey said of a
   * token holds at this resource alone (no answer says its audiences), so it is the verifier's,
   * not a check's: a memory keyed by the token answers for one resource, and the hot path builds
   * no key out of two strings. A service that is two resources makes a verifier for each.
   */
  readonly resource: string | null;
  // Keyed by the token string: the relying party's own memory, which holds the token anyway while
  // it serves the request; hashing it on every check would cost more than the check itself.
  private readonly tokens: LRUCache<string, KnownToken>;
  private readonly pending = new Map<string, Promise<Online>>();
  private readonly keys: JwksKeys;
  private readonly lists: StatusLists;
  private readonly verifyCall: VerifyCall;
  private readonly graceMs: number;
  private readonly claimsMaxAgeMs: number;
  private readonly now: () => number;
  /** When each holder's tokens were last dropped (`forgetHolder`), by `holderKey`. */
  private readonly forgotten = new LRUCache<string, number>({ max: 10_000 });
  private onlineVerifies = 0;
  private cacheHits = 0;

  constructor({
    baseUrl,
    offlineGraceSeconds = 3600,
    claimsMaxAgeSeconds = 300,
    maxTokens = 100_000,
    fetch = globalThis.fetch,
    now = Date.now,
    requestTimeoutMs = 3000,
    gatewaySecret,
    tokenHeader,
    resource,
  }: EdgeVerifierOptions) {
    const base = URL.canParse(baseUrl) ? new URL(baseUrl) : null;
    if (base?.protocol !== 'https:' && base?.protocol !== 'http:') {
      throw new TypeError('baseUrl must be an http(s) URL');
    }
    if (!(offlineGraceSeconds >= 0) || !(requestTimeoutMs > 0) || !(maxTokens >= 1)) {
      throw new TypeError('offlineGraceSeconds, requestTimeoutMs and maxTokens must be positive');
    }
    if (!(claimsMaxAgeSeconds >= 1)) throw new TypeError('claimsMaxAgeSeconds must be at least 1');
    this.resource = resource === undefined ? null : canonicalResource(resource);
    if (resource !== undefined && this.resource === null) {
      throw new TypeError('resource must be an absolute http(s) URI with no fragment');
    }
    const root = base.href.replace(/\/+$/, '');
    this.now = now;
    this.graceMs = offlineGraceSeconds * 1000;
    this.claimsMaxAgeMs = claimsMaxAgeSeconds * 1000;
    this.tokens = new LRUCache({ max: maxTokens });
    const http = new LatchkeyHttp(fetch, requestTimeoutMs);
    this.verifyCall = new VerifyCall(
      http,
      `${root}/auth/verify`,
      tokenHeader,
      gatewaySecret,
      this.resource,
    );
    this.keys = new JwksKeys(`${root}/.well-known/jwks.json`, http, now);
    this.lists = new StatusLists(base.origin, http, this.keys, now);
  }

  /**
   * Whether `token` is good, and for whom: Latchkey is asked the first time (again once its
   * claims are `claimsMaxAgeSeconds` old, and every time for a token whose constraints no list
   * carries, or for a requirement the claims cannot settle), the list after that.
   * Throws a TypeError for a `businessId` that is not a uuid, a scope Latchkey would refuse, or a
   * `clientAddress` that is not an IP address.
   */
  async verify(token: string, options: EdgeVerifyOptions = {}): Promise<EdgeVerifyResult> {
    checkOptions(options);
    const known = this.tokens.get(token);
    if (known === undefined) {
      return TOKEN_SHAPE.test(token) ? this.online(token, options) : INVALID;
    }
    const local = this.decide(known, options, this.now());
    if (local !== undefined) {
      this.cacheHits++;
      return local;
    }
    let unreached: EdgeVerifyResult | undefined;
    if (known.claims !== null && this.now() >= known.claimsDueAt) {
      // Claims too old to use: Latchkey says again what they are. When it cannot be reached,
      // what was known stands under the offline grace, as for a list it cannot serve.
      const again = await this.online(token, options);
      if (again.valid || again.reason !== 'unreachable') return again;
      unreached = again;
      const held = this.decide(known, options, this.now());
      if (held !== undefined) return held;
    }
    const list = known.list;
    if (list !== null && this.now() >= list.due && this.now() >= list.retryAt) {
      await this.lists.refresh(list);
      const fresh = this.decide(known, options, this.now());
      if (fresh !== undefined) return fresh;
    }
    return unreached ?? this.online(token, options);
  }

  /**
   * The answer from memory alone, for hot loops: undefined when it takes a call (a token not
   * seen yet, its list due for a fetch, its claims due again, a token checked online every
   * time), so `checkCached(t) ?? await verify(t)`.
   */
  checkCached(token: string, options?: EdgeVerifyOptions): EdgeVerifyResult | undefined {
    const known = this.tokens.get(token);
    if (known === undefined) return undefined;
    if (options !== undefined) checkOptions(options);
    const local = this.decide(known, options, this.now());
    if (local !== undefined) this.cacheHits++;
    return local;
  }

  /**
   * Whether Latchkey answers at `baseUrl` and takes this service's checks (its `gatewaySecret`):
   * one call without a token, made once at start so that a misconfiguration is known before the
   * first request. Latchkey counts it as one failed authentication from this service's address.
   */
  async check(): Promise<EdgeSetupCheck> {
    return setupCheckOf(await this.verifyCall.probe());
  }

  /**
   * Drops every token of `identityId` in `businessId` this process holds, so that the next check
   * of each asks Latchkey: what a Shared Signals event about one of them calls for (`SsfReceiver`;
   * the event names the token by its `jti`, which a check never learns, and its holder). An answer
   * Latchkey gave to a check asked before this is used once, and not kept.
   */
  forgetHolder(businessId: string, identityId: string): number {
    this.forgotten.set(holderKey(businessId, identityId), this.now());
    const held = [...this.tokens.entries()]
      .filter(([, known]) => {
        const claims = known.claims;
        return claims?.businessId === businessId && claims.identityId === identityId;
      })
      .map(([token]) => token);
    for (const token of held) this.tokens.delete(token);
    return held.length;
  }

  stats(): EdgeVerifierStats {
    return {
      onlineVerifies: this.onlineVerifies,
      listFetches: this.lists.fetches,
      jwksFetches: this.keys.fetches,
      cacheHits: this.cacheHits,
      listsRefused: this.lists.refused,
    };
  }

  /** The answer from what is held, or undefined when it takes a fetch or a call. */
  private decide(
    known: KnownToken,
    options: EdgeVerifyOptions | undefined,
    now: number,
  ): EdgeVerifyResult | undefined {
    if (known.refused !== null) return known.refused;
    if (now >= known.expiresAtMs) return (known.refused = EXPIRED);
    const list = known.list;
    if (list === null) return undefined;
    if (now >= list.due) {
      if (now >= list.retryAt) return undefined;
      // The last fetch failed: what was last known good stands until the grace runs out.
      if (now >= Math.max(list.fetchedAt, known.seenValidAt) + this.graceMs) return UNREACHABLE;
    }
    if (list.statuses !== null) {
      const status = list.statusAt(known.idx);
      // Invalid is for good (revoked or expired): no later list, and no online answer, undoes it.
      if (status === STATUS.invalid) return (known.refused = REVOKED);
      // A list fetched before Latchkey last said valid may show a suspension since lifted.
      if (status === STATUS.suspended && list.fetchedAt >= known.seenValidAt) return SUSPENDED;
      if (status !== STATUS.valid && status !== STATUS.suspended) return INVALID;
    }
    if (now >= known.claimsDueAt) return undefined;
    // A check against a named limit is Latchkey's to count, every time.
    if (options?.limit !== undefined) return undefined;
    return known.meets(options, now);
  }

  /**
   * Asks Latchkey. Callers asking the same from the same client address at once share one call,
   * except for a token checked online every time: each of its checks may spend a use or a unit of
   * a rate limit, or come from elsewhere, so each is Latchkey's to count. Checks from different
   * addresses never share one: Latchkey's answer may depend on the address (the token's networks).
   */
  private async online(token: string, options: EdgeVerifyOptions): Promise<EdgeVerifyResult> {
    if (options.limit !== undefined || this.tokens.peek(token)?.claims?.checkOnline)
      return (await this.call(token, options)).result;
    const { businessId = '', requireScopes, clientAddress = '' } = options;
    const key = `${token}\n${businessId}\n${requirementKey(requireScopes)}\n${clientAddress}`;
    const shared = this.pending.get(key);
    if (shared !== undefined) {
      const answer = await shared;
      return answer.checkOnline ? (await this.call(token, options)).result : answer.result;
    }
    const call = this.call(token, options).finally(() => this.pending.delete(key));
    this.pending.set(key, call);
    return (await call).result;
  }

  private async call(token: string, options: EdgeVerifyOptions): Promise<Online> {
    const answer = await this.ask(token, options);
    const { result } = answer;
    if (!result.valid && result.reason === 'unreachable') {
      this.tokens.peek(token)?.claimsUnreached(this.now());
    }
    return answer;
  }

  private async ask(token: string, options: EdgeVerifyOptions): Promise<Online> {
    this.onlineVerifies++;
    const startedAt = this.now();
    const scopes = requirementKey(options.requireScopes);
    const answer = await this.verifyCall.ask(token, options, scopes);
    switch (answer.kind) {
      case 'claims': {
        const known = this.remember(token, answer.claims, startedAt, scopes);
        return {
          result: known.refused ?? { ...known.passed!, source: 'online' },
          checkOnline: answer.claims.checkOnline,
        };
      }
      case 'refused': {
        const { code, status } = answer;
        const refused = this.refusedOnline(token, status, code, scopes, startedAt);
        return {
          result: code === null ? { ...refused, status } : { ...refused, status, code },
          checkOnline: false,
        };
      }
      case 'limited': {
        const result: EdgeRefused = { valid: false, reason: 'rate_limited', status: answer.status };
        if (answer.code !== null) result.code = answer.code;
        if (answer.retryAfter !== undefined) result.retryAfter = answer.retryAfter;
        return { result, checkOnline: false };
      }
      case 'misconfigured': {
        const result: EdgeRefused = {
          valid: false,
          reason: 'misconfigured',
          status: answer.status,
        };
        if (answer.code !== null) result.code = answer.code;
        return { result, checkOnline: false };
      }
      case 'unreadable':
        return {
          result:
            answer.status === undefined ? UNREACHABLE : { ...UNREACHABLE, status: answer.status },
          checkOnline: false,
        };
    }
  }

  /** Keeps what a 204 said, and answers from it (a refusal seen before still stands). */
  private remember(
    token: string,
    claims: VerifiedClaims,
    seenValidAt: number,
    scopes: string,
  ): KnownToken {
    const held = this.tokens.peek(token);
    if (held?.refused === REVOKED || held?.refused === EXPIRED) return held;
    const entry = claims.checkOnline || claims.statusList === null ? null : claims.statusList;
    const known = KnownToken.of(
      claims,
      entry === null ? null : this.lists.listAt(entry.uri),
      seenValidAt,
      this.claimsMaxAgeMs,
    );
    known.inherit(held);
    if (scopes !== '') known.record(scopes, true, seenValidAt);
    const forgottenAt = this.forgotten.get(holderKey(claims.businessId ?? '', claims.identityId));
    // Asked before an event dropped the holder's tokens: the answer may predate the change.
    if (forgottenAt === undefined || forgottenAt < seenValidAt) this.tokens.set(token, known);
    return known;
  }

  /** A 401 or 403: what it says of the token, kept when it is for good or about a requirement. */
  private refusedOnline(
    token: string,
    status: number,
    code: string | null,
    scopes: string,
    askedAt: number,
  ): EdgeRefused {
    if (status === 403) {
      if (code === 'BUSINESS_SUSPENDED') return SUSPENDED;
      const known = this.tokens.peek(token);
      if (code === 'INSUFFICIENT_SCOPE' && scopes !== '' && known?.claims) {
        known.record(scopes, false, askedAt);
      }
      return FORBIDDEN;
    }
    // Revoked and expired are for good, and kept; suspended may pass again, and unknown is forgotten.
    if (code === 'TOKEN_REVOKED' || code === 'TOKEN_EXPIRED') {
      const refused = code === 'TOKEN_REVOKED' ? REVOKED : EXPIRED;
      this.tokens.set(token, KnownToken.refused(refused));
      return refused;
    }
    if (code === 'TOKEN_DISABLED') return SUSPENDED;
    this.tokens.delete(token);
    return INVALID;
  }
}

const holderKey = (businessId: string, identityId: string) => `${businessId}\n${identityId}`;

import { isIP } from 'node:net';
import {
  type EdgeRefused,
  type EdgeVerified,
  type EdgeVerifyOptions,
  type EdgeVerifyResult,
  OTHER_BUSINESS,
  SCOPE_NOT_HELD,
} from './results';
import type { HeldList } from './status-lists';
import type { VerifiedClaims } from './verify-answer';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Latchkey's scope syntax and bounds (X-Latchkey-Require-Scope is 422 beyond them). */
const SCOPE = /^[a-z0-9_.-]+(:[a-z0-9_.*-]+)*$/;
const MAX_SCOPE_LENGTH = 128;
const MAX_SCOPES = 50;
/** Latchkey's answers on requirements, kept per token: a few, then they start over. */
const MAX_DECISIONS = 16;
/** After a re-verify that could not reach Latchkey, the next waits 1 s, then 2, 4 … up to 30 s. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/** What this process knows of one token. */
export class KnownToken {
  /** Set once the token is seen revoked or expired: it is never passed again in this process. */
  refused: EdgeRefused | null = null;
  /** Latchkey's own answers on scope requirements the claims could not settle, by requirement. */
  private decided: Map<string, boolean> | null = null;
  /** When the oldest of `decided` was asked (ms): they depend on the role, and age as claims do. */
  private decidedSince = Infinity;
  /**
   * When its claims are too old to use (ms): the role its scopes reflect may have changed, and
   * no status list says so. The next check asks Latchkey again.
   */
  claimsDueAt: number;
  private claimsRetries = 0;

  constructor(
    readonly claims: VerifiedClaims | null,
    /** The answer of a check from the list, made once: the hit path allocates nothing. */
    readonly passed: EdgeVerified | null,
    readonly list: HeldList | null,
    readonly idx: number,
    readonly expiresAtMs: number,
    /** The `a:` of each `a:*` it holds, so a scope check slices nothing. */
    readonly prefixes: readonly string[],
    /** When Latchkey last said it is valid (ms). */
    readonly seenValidAt: number,
    /** How long what Latchkey said is used: the claims, and its answers on requirements. */
    private readonly maxAgeMs: number,
  ) {
    this.claimsDueAt = seenValidAt + maxAgeMs;
  }

  /** What a 204 said of a token, and where its status is (null: it is checked online). */
  static of(
    claims: VerifiedClaims,
    list: HeldList | null,
    seenValidAt: number,
    claimsMaxAgeMs: number,
  ): KnownToken {
    const { tokenId, businessId, identityId, identityType, scopes, expiresAt, meta } = claims;
    const passed: EdgeVerified = Object.freeze({
      valid: true,
      tokenId,
      businessId,
      identityId,
      identityType,
      scopes,
      expiresAt,
      meta,
      source: 'list',
    });
    const prefixes = (scopes ?? []).filter((s) => s.endsWith(':*')).map((s) => s.slice(0, -1));
    return new KnownToken(
      claims,
      passed,
      list,
      list === null ? -1 : claims.statusList!.idx,
      expiresAt === null ? Infinity : expiresAt.getTime(),
      Object.freeze(prefixes),
      seenValidAt,
      claimsMaxAgeMs,
    );
  }

  /** A token known only to be refused for good (revoked, expired). */
  static refused(refused: EdgeRefused): KnownToken {
    const known = new KnownToken(null, null, null, -1, Infinity, [], -Infinity, Infinity);
    known.refused = refused;
    return known;
  }

  /** The token (valid) against the caller's requirements: the claims settle most. */
  meets(options: EdgeVerifyOptions | undefined, now: number): EdgeVerifyResult | undefined {
    if (options === undefined) return this.passed!;
    const { businessId, requireScopes } = options;
    if (businessId !== undefined && !sameBusiness(businessId, this.claims!.businessId)) {
      return OTHER_BUSINESS;
    }
    if (requireScopes !== undefined && requireScopes.length > 0 && !this.covers(requireScopes)) {
      // Unrestricted tokens, and scopes Latchkey may grant by implication or role: its call,
      // which the role it was made under dates as it does the claims.
      const decided = this.decision(requirementKey(requireScopes), now);
      if (decided === undefined) return undefined;
      if (!decided) return SCOPE_NOT_HELD;
    }
    return this.passed!;
  }

  /** True when the scopes it holds cover each required one, as Latchkey compares them literally. */
  covers(required: readonly string[]): boolean {
    const scopes = this.claims!.scopes;
    if (scopes === null) return false;
    for (let r = 0; r < required.length; r++) {
      const scope = required[r];
      let covered = false;
      for (let i = 0; i < scopes.length && !covered; i++) covered = scopes[i] === scope;
      for (let i = 0; i < this.prefixes.length && !covered; i++) {
        covered = scope.startsWith(this.prefixes[i]);
      }
      if (!covered) return false;
    }
    return true;
  }

  /**
   * Latchkey's answer on a requirement, or undefined when it has none younger than the claims
   * may be: whatever renewed the claims since, an answer made under the old role is not used.
   */
  decision(scopes: string, now: number): boolean | undefined {
    if (this.decided === null || now >= this.decidedSince + this.maxAgeMs) return undefined;
    return this.decided.get(scopes);
  }

  /** Keeps Latchkey's answer on a requirement, asked at `askedAt` (ms). */
  record(scopes: string, allowed: boolean, askedAt: number): void {
    if (
      this.decided === null ||
      this.decided.size >= MAX_DECISIONS ||
      askedAt >= this.decidedSince + this.maxAgeMs
    ) {
      this.decided = new Map();
      this.decidedSince = askedAt;
    }
    this.decidedSince = Math.min(this.decidedSince, askedAt);
    this.decided.set(scopes, allowed);
  }

  /** Takes over the answers `held` had on requirements, with their age (`decision` heeds it). */
  inherit(held: KnownToken | undefined): void {
    if (held?.decided == null) return;
    this.decided = held.decided;
    this.decidedSince = held.decidedSince;
  }

  /**
   * A re-verify of claims past their age could not reach Latchkey: what was known stands (the
   * list and its grace decide), and the next try backs off, so a down Latchkey is not asked on
   * every check, nor every check held up by its timeout.
   */
  claimsUnreached(now: number): void {
    if (now < this.claimsDueAt) return;
    this.claimsDueAt = now + Math.min(RETRY_FIRST_MS * 2 ** this.claimsRetries, RETRY_MAX_MS);
    this.claimsRetries++;
  }
}

/** A shared limit's name, as Latchkey takes it. */
const LIMIT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * Refuses (TypeError) a requirement Latchkey would answer 422, or a client address that is no
 * address: a caller's mistake, not a token's.
 */
export function checkOptions({
  businessId,
  requireScopes,
  clientAddress,
  limit,
}: EdgeVerifyOptions): void {
  if (businessId !== undefined && !UUID.test(businessId)) {
    throw new TypeError('businessId must be a uuid');
  }
  // It becomes a header value: an address literal alone, so nothing the caller wrote splits it.
  if (
    clientAddress !== undefined &&
    (typeof clientAddress !== 'string' || isIP(clientAddress) === 0)
  ) {
    throw new TypeError('clientAddress must be an IPv4 or IPv6 address');
  }
  if (limit !== undefined && (typeof limit !== 'string' || !LIMIT_NAME.test(limit))) {
    throw new TypeError('limit must be a limit name: 1 to 32 of a-z, 0-9, _ and -');
  }
  if (requireScopes !== undefined) checkScopeList(requireScopes, 'requireScopes');
}

/** Refuses (TypeError, naming the option `name`) a list Latchkey would not take as scopes. */
export function checkScopeList(scopes: readonly string[], name: string): void {
  if (!Array.isArray(scopes)) throw new TypeError(`${name} must be an array of scopes`);
  if (scopes.length > MAX_SCOPES) {
    throw new TypeError(`${name} may name at most ${MAX_SCOPES} scopes`);
  }
  for (let i = 0; i < scopes.length; i++) {
    const scope: unknown = scopes[i];
    if (typeof scope !== 'string' || scope.length > MAX_SCOPE_LENGTH || !SCOPE.test(scope)) {
      throw new TypeError(`${name}[${i}] is not a scope (segment(:segment)*)`);
    }
  }
}

/** The requirement as Latchkey's header spells it, and as its decisions are kept. */
export function requirementKey(scopes: readonly string[] | undefined): string {
  if (scopes === undefined || scopes.length === 0) return '';
  return scopes.length === 1 ? scopes[0] : scopes.join(' ');
}

/** Latchkey reads the business header case-blind; the claims' id is lowercase. */
export function sameBusiness(asked: string, of: string | null): boolean {
  return of !== null && (asked === of || asked.toLowerCase() === of);
}

import { canonicalCidr, cidrsWithin } from '../../common/validation/cidr';
import { canonicalResource } from '../../common/validation/resource-uri';
import { RequestValidationError } from '../../common/errors/domain-error';
import { TokenError } from '../token-error';
import {
  cappedUses,
  type Refill,
  refillIssues,
  usesOfRow,
  type UsesState,
} from '../usage/uses/token-uses';

/** A window of requests per minute that several tokens are counted in, named by a token's id. */
export interface SharedLimit {
  readonly tokenId: string;
  readonly perMinute: number;
}

/**
 * Where and how often a token may be used, beyond its identity's own limits: networks
 * (`allowed_cidrs`, null for anywhere), requests per minute (null for no limit of its own), and
 * the window of the limited token that made it, which its requests are counted in as well.
 */
export interface TokenConstraints {
  readonly allowedCidrs: readonly string[] | null;
  /** The resources (RFC 8707 URIs, canonical) it may be used at; null: any. */
  readonly audiences: readonly string[] | null;
  readonly rateLimitPerMinute: number | null;
  readonly sharedLimit: SharedLimit | null;
  /**
   * The window the tokens this one makes are counted in: the one it shares, else its own when it
   * has a limit (null for a maker with no limit, or with no token, as the CLI is).
   */
  readonly windowForMade: SharedLimit | null;
  /** Its uses (`uses_limit`, what is left, the refill); null: no limit of uses. */
  readonly uses: UsesState | null;
}

export const UNCONSTRAINED: TokenConstraints = {
  allowedCidrs: null,
  audiences: null,
  rateLimitPerMinute: null,
  sharedLimit: null,
  windowForMade: null,
  uses: null,
};

/** The constraints a request asked for: a field left out is undefined, `null` is "none". */
export interface RequestedConstraints {
  allowed_cidrs?: string[] | null;
  audiences?: string[] | null;
  rate_limit_per_minute?: number | null;
  uses_limit?: number;
  refill?: Refill;
}

/**
 * What a create or rotate body asked for, canonical: each network in its one spelling (`10.1.2.3/8`
 * is `10.0.0.0/8`), duplicates dropped. The DTO has already refused what is not a network. A limit
 * above `identityLimit` (RATE_LIMIT_IDENTITY_PER_MINUTE; 0 is off) is refused: the identity's
 * limit counts all of its tokens together, so a token's own limit above it could never bind.
 */
export function requestedConstraints(
  dto: RequestedConstraints,
  identityLimit: number,
): RequestedConstraints {
  const limit = dto.rate_limit_per_minute;
  if (identityLimit > 0 && typeof limit === 'number' && limit > identityLimit) {
    throw new RequestValidationError([
      {
        loc: ['body', 'rate_limit_per_minute'],
        msg: `Input should be at most ${identityLimit}, the limit of the token's identity (all of its tokens together)`,
        type: 'less_than_equal',
        input: limit,
        ctx: { le: identityLimit },
      },
    ]);
  }
  const cidrs = dto.allowed_cidrs;
  const audiences = dto.audiences;
  return {
    audiences:
      audiences === undefined || audiences === null
        ? audiences
        : [...new Set(audiences.map((a) => canonicalResource(a) ?? a))],
    allowed_cidrs:
      cidrs === undefined || cidrs === null
        ? cidrs
        : [...new Set(cidrs.map((c) => canonicalCidr(c) ?? c))],
    rate_limit_per_minute: dto.rate_limit_per_minute,
    uses_limit: dto.uses_limit,
    refill: dto.refill,
  };
}

/**
 * The constraints of a stored token, or of the caller's token, which carries the same fields and
 * its uses as this request left them (`uses`), rather than the columns' count.
 */
export function constraintsOf(
  token: {
    id: string;
    allowedCidrs?: readonly string[] | null;
    audiences?: readonly string[] | null;
    rateLimitPerMinute?: number | null;
    sharedLimitId?: string | null;
    sharedLimitPerMinute?: number | null;
    uses?: UsesState | null;
  } & Parameters<typeof usesOfRow>[0],
): TokenConstraints {
  const rateLimitPerMinute = token.rateLimitPerMinute ?? null;
  const sharedLimit =
    token.sharedLimitId && token.sharedLimitPerMinute
      ? { tokenId: token.sharedLimitId, perMinute: token.sharedLimitPerMinute }
      : null;
  return {
    allowedCidrs: token.allowedCidrs ?? null,
    audiences: token.audiences ?? null,
    rateLimitPerMinute,
    sharedLimit,
    windowForMade:
      sharedLimit ??
      (rateLimitPerMinute === null ? null : { tokenId: token.id, perMinute: rateLimitPerMinute }),
    uses: token.uses !== undefined ? token.uses : usesOfRow(token),
  };
}

/**
 * The constraints a new token gets, by the rule for scopes and lifetimes: a restricted maker
 * cannot lift its own restrictions in a token it makes. A field left out takes `base` (a
 * successor's predecessor; the maker's own for a new token), then the maker's where `base` is
 * looser; a field asked for that is looser than the maker's is refused, at its loc, so nobody
 * gets less than they asked without knowing. A limited maker's tokens are also counted in its
 * window: a limit per token alone would let a token limited to 5 a minute make a hundred
 * children, or rotate itself, for a fresh 5 each. A maker with a uses limit makes nothing.
 */
export function cappedConstraints(
  requested: RequestedConstraints,
  base: TokenConstraints,
  maker: TokenConstraints,
): TokenConstraints {
  const { constraints, breach } = constraintsUnderMaker(requested, base, maker);
  if (breach) throw breach;
  return constraints;
}

/**
 * `cappedConstraints`, with its 422 (CONSTRAINTS_EXCEED_MAKER) handed back rather than thrown,
 * for an issuer that answers it together with the business policy's
 * (`IssueTokenInput.makerBreaches`): with a breach, the networks are the ones asked for, which
 * the policy then judges too, and no token is made of them. Its other refusals are thrown.
 */
export function constraintsUnderMaker(
  requested: RequestedConstraints,
  base: TokenConstraints,
  maker: TokenConstraints,
): { constraints: TokenConstraints; breach: TokenError | null } {
  // A token with a uses limit makes none: each would count uses of its own beside the maker's,
  // and what it makes, and what they make, would be served more than its limit. Rotating
  // itself is no making (its successor takes its count, and it keeps none).
  if (maker.uses) throw new TokenError('MAKER_HAS_USES_LIMIT');
  const invalid = refillIssues(requested, base.uses);
  if (invalid.length > 0) throw new RequestValidationError(invalid);
  const issues: NonNullable<TokenError['issues']> = [];
  let allowedCidrs =
    requested.allowed_cidrs === undefined ? base.allowedCidrs : requested.allowed_cidrs;
  if (!cidrsWithin(allowedCidrs, maker.allowedCidrs)) {
    if (requested.allowed_cidrs !== undefined) {
      issues.push({
        loc: ['body', 'allowed_cidrs'],
        msg: `Input should lie within the calling token's networks: ${maker.allowedCidrs!.join(', ')}`,
        type: 'cidrs_exceed_maker',
        ctx: { allowed: [...maker.allowedCidrs!] },
      });
    }
    allowedCidrs = maker.allowedCidrs;
  }
  let audiences = requested.audiences === undefined ? base.audiences : requested.audiences;
  if (!audiencesWithin(audiences, maker.audiences)) {
    if (requested.audiences !== undefined) {
      issues.push({
        loc: ['body', 'audiences'],
        msg: `Input should lie within the calling token's audiences: ${maker.audiences!.join(', ')}`,
        type: 'audiences_exceed_maker',
        ctx: { allowed: [...maker.audiences!] },
      });
    }
    audiences = maker.audiences;
  }
  let rateLimitPerMinute =
    requested.rate_limit_per_minute === undefined
      ? base.rateLimitPerMinute
      : requested.rate_limit_per_minute;
  const ceiling = maker.rateLimitPerMinute;
  if (ceiling !== null && (rateLimitPerMinute === null || rateLimitPerMinute > ceiling)) {
    if (requested.rate_limit_per_minute !== undefined) {
      issues.push({
        loc: ['body', 'rate_limit_per_minute'],
        msg: `Input should be at most the calling token's own limit, ${ceiling}`,
        type: 'rate_limit_exceeds_maker',
        ctx: { le: ceiling },
      });
    }
    rateLimitPerMinute = ceiling;
  }
  const uses = cappedUses(requested, base.uses, Date.now());
  let breach: TokenError | null = null;
  if (issues.length > 0) {
    breach = new TokenError('CONSTRAINTS_EXCEED_MAKER');
    breach.issues = issues;
    if (requested.allowed_cidrs !== undefined) allowedCidrs = requested.allowed_cidrs;
  }
  const constraints = {
    allowedCidrs,
    audiences,
    rateLimitPerMinute,
    sharedLimit: maker.windowForMade,
    windowForMade: null,
    uses,
  };
  return { constraints, breach };
}

/** What a token made with nothing asked of its constraints gets from its maker (first tokens). */
export function inheritedConstraints(maker: TokenConstraints): TokenConstraints {
  return cappedConstraints({}, maker, maker);
}

/** Whether a token of `audiences` is used nowhere a maker of `within` could not be (null: any). */
export function audiencesWithin(
  audiences: readonly string[] | null,
  within: readonly string[] | null,
): boolean {
  if (within === null) return true;
  return audiences !== null && audiences.every((a) => within.includes(a));
}

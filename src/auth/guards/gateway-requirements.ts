import type { IncomingHttpHeaders } from 'node:http';
import { LIMITS } from '../../common/validation/byte-budget';
import { RequestValidationError } from '../../common/errors/domain-error';
import { businessIdOf } from './business-scope.guard';
import { SCOPE_PATTERN } from '../scopes';
import { AuthError } from '../auth-error';
import { DEFAULT_LIMIT } from '../../throttle/shared-limits';

/** The headers a gateway sets on its check (`GET /auth/verify`), lowercase as Node keeps them. */
export const GATEWAY_HEADERS = {
  /** The business the upstream serves: the token must be of it. */
  business: 'x-latchkey-business',
  /** Scopes the token must all allow, separated by spaces or commas. */
  requireScope: 'x-latchkey-require-scope',
  /** VERIFY_GATEWAY_SECRET, when the installation sets one. */
  secret: 'x-latchkey-gateway-secret',
  /** The resource the upstream is (an RFC 8707 URI): a token's audiences must hold it. */
  resource: 'x-latchkey-resource',
  /** The business's shared limit the call counts against, in place of `default`. */
  limit: 'x-latchkey-limit',
  /** What the call costs in credits, in place of 1. */
  cost: 'x-latchkey-cost',
} as const;

/** What a gateway asks of a token beyond its being valid. */
export interface GatewayRequirements {
  /** The business the token must be of; null when the gateway names none. */
  readonly businessId: string | null;
  /** Every scope the token must allow (scopes.ts's rules); empty when the gateway names none. */
  readonly scopes: readonly string[];
}

const NO_SCOPES: readonly string[] = Object.freeze([]);

/**
 * Requirement headers already parsed: a gateway sends the same few on every check. Bounded, and
 * emptied whole when full, so odd values a client sends cost memory for a moment at most.
 */
const parsedScopes = new Map<string, readonly string[]>();
const PARSED_MAX = 256;

/** The requirements of a check, or the 422 that names the header at fault. */
export function gatewayRequirementsOf(headers: IncomingHttpHeaders): GatewayRequirements {
  const business = headers[GATEWAY_HEADERS.business];
  const scopes = headers[GATEWAY_HEADERS.requireScope];
  return {
    businessId: business === undefined ? null : businessIdOf(business, GATEWAY_HEADERS.business),
    scopes: scopes === undefined ? NO_SCOPES : requiredScopesOf(scopes),
  };
}

/**
 * `X-Latchkey-Require-Scope`: one or more scopes, separated by spaces, commas or both (a header
 * sent twice arrives joined by a comma, and so adds its scopes). All of them are required. An
 * empty value is refused rather than read as "no scope": a gateway whose variable came out empty
 * must not open its route to every token.
 */
export function requiredScopesOf(header: string | string[]): readonly string[] {
  const value = Array.isArray(header) ? header.join(',') : header;
  const known = parsedScopes.get(value);
  if (known !== undefined) return known;
  const scopes = Object.freeze([...new Set(value.split(/[\t ,]+/).filter((s) => s !== ''))]);
  const problem =
    scopes.length === 0
      ? 'Input should name at least one scope'
      : scopes.length > LIMITS.scopes
        ? `Input should name at most ${LIMITS.scopes} scopes`
        : scopes.some((s) => s.length > LIMITS.scope || !SCOPE_PATTERN.test(s))
          ? `Input should be scopes of at most ${LIMITS.scope} characters, each matching segment(:segment)*, separated by spaces or commas`
          : null;
  if (problem !== null) {
    // The value is not echoed: it may be long, and it is the gateway's configuration.
    throw new RequestValidationError([
      { loc: ['header', GATEWAY_HEADERS.requireScope], msg: problem, type: 'value_error' },
    ]);
  }
  if (parsedScopes.size >= PARSED_MAX) parsedScopes.clear();
  parsedScopes.set(value, scopes);
  return scopes;
}

/** A shared limit's name: what `PUT /api/v1/limits/{name}` takes. */
export const LIMIT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * The shared limit a gateway's check counts against: `X-Latchkey-Limit`, else `default`. Only a
 * gateway the installation trusts may name one (a client naming a looser limit than its route's
 * would spend that one instead): from anyone else, 403 GATEWAY_NOT_TRUSTED, never ignored.
 */
export function gatewayLimitOf(headers: IncomingHttpHeaders, trusted: boolean): string {
  const named = headers[GATEWAY_HEADERS.limit];
  if (named === undefined) return DEFAULT_LIMIT;
  if (!trusted) {
    throw AuthError.forbidden(
      'GATEWAY_NOT_TRUSTED',
      'X-Latchkey-Limit is taken only from a trusted gateway (VERIFY_GATEWAY_SECRET, or a TRUST_PROXY peer)',
    );
  }
  if (typeof named !== 'string' || !LIMIT_NAME.test(named)) {
    throw new RequestValidationError([
      {
        loc: ['header', GATEWAY_HEADERS.limit],
        msg: 'Input should be a limit name: 1 to 32 of a-z, 0-9, _ and -, the first a letter or digit',
        type: 'value_error',
      },
    ]);
  }
  return named;
}

/** The most one check may cost. */
export const COST_MAX = 1000;

/**
 * What a gateway's check costs in credits: `X-Latchkey-Cost`, else 1. Only a gateway the
 * installation trusts may say (a client would say 0): from anyone else, 403 GATEWAY_NOT_TRUSTED.
 * A whole number from 0 to 1000, written in digits alone; anything else is 422.
 */
export function gatewayCostOf(headers: IncomingHttpHeaders, trusted: boolean): number {
  const said = headers[GATEWAY_HEADERS.cost];
  if (said === undefined) return 1;
  if (!trusted) {
    throw AuthError.forbidden(
      'GATEWAY_NOT_TRUSTED',
      'X-Latchkey-Cost is taken only from a trusted gateway (VERIFY_GATEWAY_SECRET, or a TRUST_PROXY peer)',
    );
  }
  const cost = typeof said === 'string' && /^\d{1,4}$/.test(said) ? Number(said) : NaN;
  if (!(cost <= COST_MAX)) {
    throw new RequestValidationError([
      {
        loc: ['header', GATEWAY_HEADERS.cost],
        msg: `Input should be a whole number from 0 to ${COST_MAX}`,
        type: 'value_error',
      },
    ]);
  }
  return cost;
}

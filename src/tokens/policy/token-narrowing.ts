import { scopesWithin } from '../../auth/scopes';
import type { ValidationIssue } from '../../common/errors/domain-error';
import type { ApiToken } from '../store/entities/api-token.entity';
import { cidrsWithin } from '../../common/validation/cidr';
import { TokenError } from '../token-error';

/**
 * The advisory lock that orders the edits of one token and its rotation (PostgreSQL; SQLite runs
 * one unit of work at a time): a rotation that read the token before a narrowing committed would
 * hand its successor what the narrowing took away.
 */
export const tokenEditKey = (tokenId: string) => `token-edit:${tokenId}`;

/** The fields a PATCH may narrow, as asked (canonical CIDRs); undefined: left as it is. */
export interface Narrowing {
  scopes?: string[] | null;
  expiresAt?: Date | null;
  allowedCidrs?: string[] | null;
  rateLimitPerMinute?: number | null;
  usesLimit?: number;
}

type Narrowed = Pick<
  ApiToken,
  'scopes' | 'expiresAt' | 'allowedCidrs' | 'rateLimitPerMinute' | 'usesLimit'
>;

/** Each field's rule: whether `next` is no wider than `now`, and what to say when it is. */
const RULES: {
  [F in keyof Narrowed]: {
    loc: string;
    within: (next: Narrowed[F], now: Narrowed[F]) => boolean;
    rule: string;
  };
} = {
  scopes: {
    loc: 'scopes',
    within: (next, now) => scopesWithin(next, now),
    rule: 'scopes may only shrink: every scope must lie within the token’s own',
  },
  expiresAt: {
    loc: 'expires_at',
    within: (next, now) => now === null || (next !== null && next.getTime() <= now.getTime()),
    rule: 'the expiry may only come sooner',
  },
  allowedCidrs: {
    loc: 'allowed_cidrs',
    within: (next, now) => cidrsWithin(next, now),
    rule: 'allowed_cidrs may only tighten: every network must lie within the token’s own',
  },
  rateLimitPerMinute: {
    loc: 'rate_limit_per_minute',
    within: (next, now) => now === null || (next !== null && next <= now),
    rule: 'rate_limit_per_minute may only go down',
  },
  usesLimit: {
    loc: 'uses_limit',
    within: (next, now) => now === null || (next !== null && next <= now),
    rule: 'uses_limit may only go down',
  },
};

const same = (a: unknown, b: unknown) =>
  a instanceof Date && b instanceof Date
    ? a.getTime() === b.getTime()
    : JSON.stringify(a) === JSON.stringify(b);

/**
 * The narrowed fields that change `token`, or 403 WIDENING_NOT_ALLOWED naming every field that
 * would widen it (at its loc). A value equal to the token's own is no change.
 */
export function narrowed(token: Narrowed, asked: Narrowing): Partial<Narrowed> {
  const issues: ValidationIssue[] = [];
  const edits: Partial<Narrowed> = {};
  for (const field of Object.keys(RULES) as (keyof Narrowed)[]) {
    const next = asked[field];
    if (next === undefined || same(next, token[field])) continue;
    const { loc, within, rule } = RULES[field] as {
      loc: string;
      within: (a: unknown, b: unknown) => boolean;
      rule: string;
    };
    if (!within(next, token[field])) {
      issues.push({ loc: ['body', loc], msg: rule, type: 'widening' });
      continue;
    }
    (edits as Record<string, unknown>)[field] = next;
  }
  if (issues.length > 0) {
    const error = new TokenError('WIDENING_NOT_ALLOWED');
    error.issues = issues;
    throw error;
  }
  return edits;
}

/** The API's name and shape of a narrowed field, for the audit entry's before and after. */
export function shownNarrowing(token: Narrowed, fields: (keyof Narrowed)[]) {
  const shown: Record<string, unknown> = {};
  for (const field of fields) {
    const value = token[field];
    shown[RULES[field].loc] = value instanceof Date ? value.toISOString() : value;
  }
  return shown;
}

export const NARROWED_FIELDS = Object.keys(RULES) as (keyof Narrowed)[];
/** The same fields by their API names, as the audit entry and a Shared Signals event name them. */
export const NARROWED_API_FIELDS: readonly string[] = NARROWED_FIELDS.map((f) => RULES[f].loc);

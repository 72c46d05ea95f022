import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/** The rules of the token lifecycle. */
export const TOKEN_ERRORS = {
  // A new token never holds more than the token that makes it, nor more than the role.
  SCOPE_ESCALATION: {
    status: 403,
    message: 'The new token would hold more than its creator may grant',
  },
  TOKEN_NOT_FOUND: { status: 404, message: 'Token not found' },
  STATUS_LIST_NOT_FOUND: { status: 404, message: 'Status list not found' },
  TOKEN_NOT_ACTIVE: { status: 409, message: 'Only an active token can be rotated' },
  // A revoked token never speaks again: pausing or resuming it means nothing.
  TOKEN_IS_REVOKED: {
    status: 409,
    message: 'A revoked token stays revoked: it cannot be disabled or enabled',
  },
  // A pause with children runs in one transaction, so the family it walks is bounded.
  TOKEN_FAMILY_TOO_LARGE: {
    status: 409,
    message: 'Too many tokens descend from this one to pause them with it in one request',
  },
  TOKEN_ALREADY_ROTATED: {
    status: 409,
    message: 'This token has been rotated already: use its successor',
  },
  // An identity holds at most MAX_ACTIVE_TOKENS_PER_IDENTITY active tokens.
  TOKEN_LIMIT_REACHED: {
    status: 409,
    message: 'This identity holds the most active tokens allowed: revoke one first',
  },
  // A key brought from elsewhere whose hash a token already holds (in any business, which is
  // never named), or that a batch names twice: the whole batch is refused.
  TOKEN_HASH_IN_USE: {
    status: 409,
    message:
      'A key of this import is already held by a token, or named twice: nothing was imported',
  },
  // A token never outlives the token that makes it.
  EXPIRY_EXCEEDS_MAKER: {
    status: 422,
    message:
      'A token never outlives the token that makes it, and a successor never lives longer than the token it replaces',
  },
  // Nor is it usable from more networks, at a higher rate, or more times, than its maker.
  CONSTRAINTS_EXCEED_MAKER: {
    status: 422,
    message:
      "A token's networks lie within, and its rate limit and uses are at most, those of the token that makes it",
  },
  // A token with uses_limit makes no tokens: a family would be served more than its limit.
  MAKER_HAS_USES_LIMIT: {
    status: 403,
    message:
      'A token with a uses limit makes no tokens (it may rotate itself): use a token without one',
  },
  // A token with uses_limit that has none left: not revoked, and speaks again after a refill.
  USES_EXHAUSTED: {
    status: 429,
    message: 'This token has no uses left',
  },
  // PATCH only narrows a token: fewer scopes, a sooner expiry, tighter networks, lower limits.
  WIDENING_NOT_ALLOWED: {
    status: 403,
    message: 'An edit may only narrow a token: it would widen it',
  },
  // A body field of revoke by value names no token: the same code as the bearer's 401, as the
  // design says, but a 422, since the request is what is wrong, not its credential.
  INVALID_TOKEN: { status: 422, message: 'Invalid token' },
} as const satisfies ErrorTable;

export type TokenErrorCode = keyof typeof TOKEN_ERRORS;

/** A rule of the token lifecycle was broken. */
export class TokenError extends DomainError<TokenErrorCode> {
  constructor(code: TokenErrorCode, detail?: string) {
    super(code, TOKEN_ERRORS[code], detail);
  }
}

/** 429 USES_EXHAUSTED, with `Retry-After` (whole seconds) when a refill is due. */
export class UsesExhaustedError extends DomainError<'USES_EXHAUSTED'> {
  constructor(retryAfterSeconds: number | null) {
    const headers: Record<string, string> =
      retryAfterSeconds === null ? {} : { 'retry-after': String(retryAfterSeconds) };
    const detail =
      retryAfterSeconds === null
        ? 'Its uses_limit is spent, and it has no refill'
        : `Its uses are refilled in ${retryAfterSeconds} s`;
    super('USES_EXHAUSTED', TOKEN_ERRORS.USES_EXHAUSTED, detail, headers);
  }
}

/** The 404 of a token the caller may not see, or that is not there. */
export const tokenNotFound = () => new TokenError('TOKEN_NOT_FOUND');

import { DomainError } from '../common/domain-error';
import type { ErrorTable } from '../common/error-codes';

/** The rules of the token lifecycle. */
export const TOKEN_ERRORS = {
  // A new token never holds more than the token that makes it, nor more than the role.
  SCOPE_ESCALATION: 403,
  TOKEN_NOT_FOUND: 404,
  TOKEN_NOT_ACTIVE: 409,
  TOKEN_ALREADY_ROTATED: 409,
  // An identity holds at most MAX_ACTIVE_TOKENS_PER_IDENTITY active tokens.
  TOKEN_LIMIT_REACHED: 409,
  // A token never outlives the token that makes it.
  EXPIRY_EXCEEDS_MAKER: 422,
  // A body field of revoke by value names no token: the same code as the bearer's 401, as the
  // design says, but a 422, since the request is what is wrong, not its credential.
  INVALID_TOKEN: 422,
} as const satisfies ErrorTable;

export type TokenErrorCode = keyof typeof TOKEN_ERRORS;

/** A rule of the token lifecycle was broken. */
export class TokenError extends DomainError<TokenErrorCode> {
  constructor(code: TokenErrorCode, message: string) {
    super(code, TOKEN_ERRORS[code], message);
  }
}

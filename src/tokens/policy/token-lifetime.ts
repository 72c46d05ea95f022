import { RequestValidationError } from '../../common/errors/domain-error';
import type { CreateTokenDto } from '../dto/token-requests.dto';
import { TokenError } from '../token-error';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The first token of an owner or member expires in 7 days unless told otherwise. */
export const FIRST_TOKEN_DAYS = 7;

/** The expiry of a token that lives `days` days from now, or null for no expiry. */
export function expiryInDays(days: number | null | undefined): Date | null {
  return days ? new Date(Date.now() + days * DAY_MS) : null;
}

/**
 * The latest expiry a maker may give: its own (Vault's rule for child tokens). A maker with no
 * expiry caps nothing.
 */
export type ExpiryCeiling = Date | null;

/**
 * The expiry a new token gets under its maker's `ceiling`. A token never outlives the token that
 * made it: an unasked-for lifetime (a default, or none) is cut to the ceiling, and one asked for
 * explicitly (at `askedAt`, the field's loc) past it is refused, so nobody is handed less than
 * they asked without knowing.
 */
export function cappedExpiry(
  requested: Date | null,
  askedAt: (string | number)[] | null,
  ceiling: ExpiryCeiling,
): Date | null {
  const { expiresAt, breach } = expiryUnderMaker(requested, askedAt, ceiling);
  if (breach) throw breach;
  return expiresAt;
}

/**
 * `cappedExpiry`, with its refusal handed back rather than thrown, for an issuer that answers it
 * together with the business policy's (`IssueTokenInput.makerBreaches`): with a breach, the
 * expiry is the one asked for, which the policy then judges too, and no token is made of it.
 */
export function expiryUnderMaker(
  requested: Date | null,
  askedAt: (string | number)[] | null,
  ceiling: ExpiryCeiling,
): { expiresAt: Date | null; breach: TokenError | null } {
  if (ceiling === null) return { expiresAt: requested, breach: null };
  if (requested !== null && requested <= ceiling) return { expiresAt: requested, breach: null };
  if (!askedAt) return { expiresAt: ceiling, breach: null };
  const latest = ceiling.toISOString();
  const breach = new TokenError(
    'EXPIRY_EXCEEDS_MAKER',
    `The latest expiry allowed here is ${latest}: a token never outlives the token that ` +
      'makes it, and a successor never lives longer than the token it replaces',
  );
  breach.issues = [
    {
      loc: askedAt,
      msg: `Input should be no later than ${latest}`,
      type: 'expiry_exceeds_maker',
      ctx: { latest },
    },
  ];
  return { expiresAt: requested, breach };
}

/** The earlier of two ceilings (null is none). */
export function earlierCeiling(a: ExpiryCeiling, b: ExpiryCeiling): ExpiryCeiling {
  if (a === null) return b;
  if (b === null) return a;
  return a <= b ? a : b;
}

/** The 422 of an expiry that is not in the future. */
export function futureDate(field: string, value: Date): RequestValidationError {
  return new RequestValidationError([
    {
      loc: ['body', field],
      msg: 'Input should be in the future',
      type: 'date_future',
      input: value.toISOString(),
    },
  ]);
}

/** The name of every first token (a rotation keeps it): how a re-issue finds the one it replaces. */
export const FIRST_TOKEN_NAME = 'first-token';

/** The loc of a first or platform token's asked-for lifetime. */
export const EXPIRES_IN_DAYS = ['body', 'expires_in_days'];

/** Where a create body asked for an expiry, or null when it takes the default. */
export function askedExpiry(dto: CreateTokenDto): string[] | null {
  if (dto.expires_at !== undefined) return ['body', 'expires_at'];
  return dto.expires_in_days === undefined ? null : EXPIRES_IN_DAYS;
}

/** The expiry a create body asks for: `expires_at`, or `expires_in_days` from now, or none. */
export function expiryOf(dto: CreateTokenDto): Date | null {
  if (dto.expires_at && dto.expires_in_days) {
    throw new RequestValidationError([
      {
        loc: ['body', 'expires_at'],
        msg: 'Give expires_at or expires_in_days, not both',
        type: 'value_error',
      },
    ]);
  }
  if (dto.expires_at) {
    if (dto.expires_at.getTime() <= Date.now()) throw futureDate('expires_at', dto.expires_at);
    return dto.expires_at;
  }
  return expiryInDays(dto.expires_in_days);
}

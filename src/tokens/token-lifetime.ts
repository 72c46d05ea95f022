const DAY_MS = 24 * 60 * 60 * 1000;

/** The first token of an owner or member expires in 7 days unless told otherwise. */
export const FIRST_TOKEN_DAYS = 7;

/** The expiry of a token that lives `days` days from now, or null for no expiry. */
export function expiryInDays(days: number | null | undefined): Date | null {
  return days ? new Date(Date.now() + days * DAY_MS) : null;
}

/** The named budgets, as the throttler storage keys them. */
export const THROTTLER = {
  oauth: 'oauth',
  identity: 'identity',
  authFailures: 'auth-failures',
} as const;

/** Every limit is per minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** The named budgets, as the throttler storage keys them. */
export const THROTTLER = {
  oauth: 'oauth',
  identity: 'identity',
  authFailures: 'auth-failures',
  /** `POST /leaks/github`, per client IP. */
  leaks: 'leaks',
  /** A token's own `rate_limit_per_minute`, keyed by token id. */
  token: 'token',
} as const;

/** Every limit is per minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** The named budgets, as the throttler storage keys them. */
export const THROTTLER = {
  oauth: 'oauth',
  identity: 'identity',
  authFailures: 'auth-failures',
  /** `POST /leaks/github`, per client IP. */
  leaks: 'leaks',
  /** `POST /oauth2/register`, per client IP, per hour. */
  registrations: 'registrations',
  /** A token's own `rate_limit_per_minute`, keyed by token id. */
  token: 'token',
} as const;

/** Every limit is per minute, but client registrations' (RATE_LIMIT_REGISTRATION_WINDOW_MS). */
export const RATE_LIMIT_WINDOW_MS = 60_000;
/** Client registrations are counted per hour: a client registers once, not once a minute. */
export const RATE_LIMIT_REGISTRATION_WINDOW_MS = 3_600_000;

import { ApiError } from '../common/errors/domain-error';

/** 429 in the API's error shape, with a plain integer-seconds `Retry-After`. */
export class RateLimitedError extends ApiError {
  constructor(
    retryAfterSeconds: number,
    message = 'Too many requests, retry later',
    fields: Record<string, string> = {},
  ) {
    // A zero or negative wait would invite an immediate retry into the same closed window.
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super('RATE_LIMITED', message, { ...fields, 'retry-after': String(seconds) });
  }
}

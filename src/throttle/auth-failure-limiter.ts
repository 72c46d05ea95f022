import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, normalizeIp, type ThrottlerStorage } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics';
import { RateLimitedError } from './rate-limited.error';
import { RATE_LIMIT_WINDOW_MS, THROTTLER } from './throttler-names';

/**
 * Counts failed authentications per client IP (`request.ip`, which honours TRUST_PROXY), in the
 * throttler's storage. Only failures are counted: a valid token never touches the storage, and
 * still passes from an IP that is over its budget, so one misbehaving client behind a shared
 * NAT does not lock out its neighbours, while token guessing from that IP stops.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly limit: number;

  constructor(
    config: AppConfig,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly metrics: Metrics,
  ) {
    this.limit = config.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE;
  }

  /**
   * Notes one failed authentication from `ip`, and answers what to send for it: `failure` itself
   * while the IP has budget left (or when the limit is off), the 429 once it has spent it. Every
   * check that refuses a credential (the bearer guard, /metrics) answers through here.
   */
  async answer<E extends Error>(ip: string | undefined, failure: E): Promise<E | RateLimitedError> {
    return (await this.overBudget(ip)) ?? failure;
  }

  private async overBudget(ip: string | undefined): Promise<RateLimitedError | null> {
    if (this.limit === 0) return null;
    const record = await this.storage.increment(
      `${THROTTLER.authFailures}:${normalizeIp(ip ?? 'unknown')}`,
      RATE_LIMIT_WINDOW_MS,
      this.limit,
      RATE_LIMIT_WINDOW_MS,
      THROTTLER.authFailures,
    );
    if (!record.isBlocked) return null;
    this.metrics.rateLimited(THROTTLER.authFailures);
    return new RateLimitedError(
      record.timeToBlockExpire,
      'Too many failed authentications from this address, retry later',
    );
  }
}

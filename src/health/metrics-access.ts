import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthError } from '../auth/auth-error';
import { bearerTokenOf } from '../auth/bearer-auth.guard';
import { AppConfig } from '../config/app-config';
import { AuthFailureLimiter } from '../throttle/auth-failure-limiter';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Who may scrape /metrics: anyone when METRICS_TOKEN is unset; otherwise only a bearer equal to
 * it. The two are compared as SHA-256 digests with `timingSafeEqual`, so the time taken says
 * nothing about how much of a guess was right, nor about the secret's length. A wrong or missing
 * bearer is a failed authentication like any other: it spends the client IP's budget, and 429
 * once that is spent.
 */
@Injectable()
export class MetricsAccess {
  private readonly expected: Buffer | null;

  constructor(
    config: AppConfig,
    private readonly failures: AuthFailureLimiter,
  ) {
    this.expected = config.METRICS_TOKEN === undefined ? null : digest(config.METRICS_TOKEN);
  }

  /** Resolves when `authorization` may scrape; throws the 401 (or 429) otherwise. */
  async check(authorization: string | undefined, ip: string | undefined): Promise<void> {
    if (this.expected === null) return;
    const presented = bearerTokenOf(authorization);
    if (presented !== null && timingSafeEqual(digest(presented), this.expected)) return;
    throw await this.failures.answer(
      ip,
      AuthError.bearer('INVALID_TOKEN', 'Missing or wrong metrics token'),
    );
  }
}

import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { Metrics, RateLimit } from '../metrics/metrics';
import { RateLimitedError } from '../throttle/rate-limited.error';
import { RATE_LIMIT_WINDOW_MS } from '../throttle/throttler-names';

export const FEDERATION_THROTTLERS = {
  issuer: 'federation-issuer',
  identity: 'federation-identity',
} as const;

/**
 * The exchange's own budgets, in the throttler's storage (Redis when configured, so instances
 * share them): per issuer, across businesses, so one noisy or hostile issuer cannot spend the
 * others' database and CPU; and per machine identity, so one workload cannot mint without end.
 * Both are counted once the JWT has verified against a matching rule's keys: a budget that
 * unverified JWTs could spend would let anyone who names an issuer refuse every workload it
 * serves. What an unverified JWT costs is bounded per client (`RATE_LIMIT_OAUTH_PER_MINUTE`) and
 * by the key fetch's own rate (an unknown `kid` refetches at most once a minute). A limit of 0
 * skips its check. The answer is 429 in the API's error shape.
 */
@Injectable()
export class ExchangeLimits {
  private readonly perIssuer: number;
  private readonly perIdentity: number;

  constructor(
    config: AppConfig,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly metrics: Metrics,
  ) {
    this.perIssuer = config.RATE_LIMIT_FEDERATION_ISSUER_PER_MINUTE;
    this.perIdentity = config.RATE_LIMIT_FEDERATION_IDENTITY_PER_MINUTE;
  }

  spendIssuer(issuer: string): Promise<void> {
    const key = createHash('sha256').update(issuer).digest('hex');
    return this.spend(FEDERATION_THROTTLERS.issuer, key, this.perIssuer, 'this issuer');
  }

  spendIdentity(identityId: string): Promise<void> {
    return this.spend(
      FEDERATION_THROTTLERS.identity,
      identityId,
      this.perIdentity,
      'this machine identity',
    );
  }

  private async spend(name: RateLimit, key: string, limit: number, whose: string): Promise<void> {
    if (limit === 0) return;
    const record = await this.storage.increment(
      `${name}:${key}`,
      RATE_LIMIT_WINDOW_MS,
      limit,
      RATE_LIMIT_WINDOW_MS,
      name,
    );
    if (!record.isBlocked) return;
    this.metrics.rateLimited(name);
    throw new RateLimitedError(
      record.timeToBlockExpire,
      `Too many token exchanges for ${whose}, retry later`,
    );
  }
}

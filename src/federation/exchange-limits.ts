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
 * share them): per issuer within one business, so one noisy or hostile issuer cannot spend the
 * business's database and CPU; and per machine identity, so one workload cannot mint without end.
 *
 * The issuer's budget is the business's, never the issuer string's across businesses: a trust
 * rule is any admin's to write, with any issuer and its own keys, so a budget shared by every rule
 * naming `iss` would let one tenant sign its own JWTs under another's issuer and spend that
 * issuer's budget for everyone. Both budgets are spent only by a JWT that verified against a
 * rule of the business and was not exchanged before (`TokenExchangeService`): neither junk nor a
 * replayed JWT costs a workload anything. What those cost is bounded per client
 * (`RATE_LIMIT_OAUTH_PER_MINUTE`) and by the key fetch's own rate (an unknown `kid` refetches at
 * most once a minute). A limit of 0 skips its check. The answer is 429 in the API's error shape.
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

  /** One exchange of `issuer`'s JWTs in `businessId`. */
  spendIssuer(businessId: string, issuer: string): Promise<void> {
    const key = createHash('sha256').update(`${businessId}\n${issuer}`).digest('hex');
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

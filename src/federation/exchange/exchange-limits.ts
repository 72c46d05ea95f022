import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { Metrics, RateLimit } from '../../metrics/metrics';
import { RateLimitedError } from '../../throttle/rate-limited.error';
import { RATE_LIMIT_WINDOW_MS } from '../../throttle/throttler-names';

export const FEDERATION_THROTTLERS = {
  issuer: 'federation-issuer',
  identity: 'federation-identity',
} as const;

/**
 * The exchange's own budgets, in the throttler's storage (Redis when configured, so instances
 * share them): per issuer within one business, so one noisy or hostile issuer cannot spend the
 * business's database and CPU; and per machine identity, so one workload cannot mint without end.
 *
 * The issuer's budget is the business's, never the issuer string's: any admin may write a rule
 * naming any `iss` with keys of their own, so a shared budget would let one tenant spend
 * another's. Only a JWT that verified against a rule and was not exchanged before spends either,
 * so junk and replays cost a workload nothing; they are bounded per client
 * (`RATE_LIMIT_OAUTH_PER_MINUTE`) and by the key fetch's own rate. A limit of 0 skips its check.
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

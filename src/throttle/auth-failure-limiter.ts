import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, normalizeIp, type ThrottlerStorage } from '@nestjs/throttler';
import { LRUCache } from 'lru-cache';
import { boundedLru } from '../common/bounded-lru';
import { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics';
import { RateLimitedError } from './rate-limited.error';
import { RATE_LIMIT_WINDOW_MS, THROTTLER } from './throttler-names';

/**
 * Counts failed authentications per client IP (`request.ip`, which honours TRUST_PROXY), in the
 * throttler's storage. Only failures are counted: a valid token never touches the storage. Once
 * an IP has spent its budget, every credential from it is refused with 429 before it is looked
 * up, a right one included: otherwise guessing would still cost a database read per guess, and
 * a right guess would still be told so. A client behind a shared NAT waits out the window with
 * its neighbour (the budget, 300 a minute by default, is far above any honest client's failures).
 *
 * Each instance keeps the IPs it has seen blocked in memory (bounded), so the refusal needs no
 * I/O; with Redis, an instance learns of another's block at that IP's next failure there.
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
   * Blocked IPs, by their throttler key, and when each block ends (epoch ms). Made on the first
   * block: an instance that never blocks anyone never sizes it.
   */
  private blocked: LRUCache<string, number> | undefined;

  /**
   * Whether any address is blocked now, so that a caller need not work out the client's address
   * for `refuseBlocked` on every request when none is (the hot path's case).
   */
  get blocking(): boolean {
    return this.limit !== 0 && (this.blocked?.size ?? 0) !== 0;
  }

  /**
   * Throws the 429 for an IP that is over its budget, before anything reads the credential;
   * returns when the IP may try.
   */
  refuseBlocked(ip: string | undefined): void {
    if (this.limit === 0 || !this.blocked?.size) return;
    const key = keyOf(ip);
    const until = this.blocked.get(key);
    if (until === undefined) return;
    const left = until - Date.now();
    if (left <= 0) {
      this.blocked.delete(key);
      return;
    }
    this.metrics.rateLimited(THROTTLER.authFailures);
    throw blockedError(Math.ceil(left / 1000));
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
    const key = keyOf(ip);
    const record = await this.storage.increment(
      key,
      RATE_LIMIT_WINDOW_MS,
      this.limit,
      RATE_LIMIT_WINDOW_MS,
      THROTTLER.authFailures,
    );
    if (!record.isBlocked) return null;
    (this.blocked ??= boundedLru<string, number>(100_000)).set(
      key,
      Date.now() + record.timeToBlockExpire * 1000,
    );
    this.metrics.rateLimited(THROTTLER.authFailures);
    return blockedError(record.timeToBlockExpire);
  }
}

const keyOf = (ip: string | undefined) =>
  `${THROTTLER.authFailures}:${normalizeIp(ip ?? 'unknown')}`;

const blockedError = (seconds: number) =>
  new RateLimitedError(seconds, 'Too many failed authentications from this address, retry later');

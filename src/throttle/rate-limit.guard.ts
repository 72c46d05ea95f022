import { ExecutionContext, Injectable, OnModuleInit } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { THROTTLER_SKIP } from '@nestjs/throttler/dist/throttler.constants';
import { Metrics, RATE_LIMITS, type RateLimit } from '../metrics/metrics';
import { CallingTokenView, CONTEXT_KEY, requestOf } from '../common/http/request-keys';
import { RateLimitedError } from './rate-limited.error';
import { readsRouteOnly } from './rate-limit.decorators';
import { RATE_LIMIT_WINDOW_MS, THROTTLER } from './throttler-names';
import { isWindowCounter, MemoryWindowCounter, type Spend, TokenBudget } from './token-budget';
import { SharedLimitCounter, type SharedLimitRule } from './shared-limits';

type Request = Record<string, unknown>;

/**
 * The per-route limits (`/oauth2/*` per client IP, per identity, and a token's own
 * `rate_limit_per_minute`), on the library's guard and
 * storage. It runs as a global guard right after the bearer guard, so that a bad token is 401
 * before any 429, and a 429 comes before the business header's 422 (the design's order of
 * checks). Which throttlers exist, and on which routes each counts, is decided in
 * `throttle.module.ts`; a limit of 0 registers no throttler at all.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard implements OnModuleInit {
  private on = false;
  private readonly tokenBudget: TokenBudget;
  private readonly sharedLimits: SharedLimitCounter;
  /** By handler, then class: whether any throttler counts on the route (`countsOn`). */
  private readonly routes = new WeakMap<object, WeakMap<object, boolean>>();

  /** Whether any limit is on; with every limit off the guard has nothing to do. */
  get enabled(): boolean {
    return this.on;
  }

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly metrics: Metrics,
  ) {
    super(options, storage, reflector);
    // The throttler's own storage when it can lease (Redis), so that instances share the count.
    const counter = isWindowCounter(storage) ? storage : new MemoryWindowCounter();
    this.tokenBudget = new TokenBudget(counter, RATE_LIMIT_WINDOW_MS);
    this.sharedLimits = new SharedLimitCounter(counter);
  }

  override async onModuleInit(): Promise<void> {
    const throttlers = Array.isArray(this.options) ? this.options : this.options.throttlers;
    this.on = throttlers.length > 0;
    // The library warns when it has no throttler; with every limit off that is the intent.
    if (this.on) await super.onModuleInit();
  }

  /**
   * The caller's token's own limit, and the window of the limited token that made it, both read
   * from the verifier's snapshot (no database read): null when it has none or this instance's
   * leases answer at once, else the wait on the shared counter. Either way 429 once one is spent.
   */
  spendTokenLimit(context: ExecutionContext): Promise<void> | null {
    const token = callerOf(context)?.token;
    const own = token?.rateLimitPerMinute;
    if (!token || !own) return null;
    const first = this.spendWindow(token.id, own);
    const { sharedLimitId, sharedLimitPerMinute } = token;
    if (!sharedLimitId || !sharedLimitPerMinute) return first;
    if (first === null) return this.spendWindow(sharedLimitId, sharedLimitPerMinute);
    return first.then(() => this.spendWindow(sharedLimitId, sharedLimitPerMinute) ?? undefined);
  }

  /**
   * One call against a business's shared limit (`SharedLimitCounter`), on the same counter as the
   * tokens' own limits: null when it may go on at once, else the wait; 429 when a cap is spent.
   */
  spendSharedLimit(
    businessId: string,
    identityId: string,
    rule: SharedLimitRule,
  ): Promise<void> | null {
    try {
      const spent = this.sharedLimits.spend(businessId, identityId, rule);
      return spent && spent.catch((e: unknown) => this.countRefusal(e));
    } catch (e) {
      return this.countRefusal(e);
    }
  }

  private countRefusal(e: unknown): never {
    if (e instanceof RateLimitedError) this.metrics.rateLimited('shared');
    throw e;
  }

  /** One unit of a token's window (`TokenBudget`, keyed by the token's id), or 429. */
  private spendWindow(tokenId: string, perMinute: number): Promise<void> | null {
    const spent = this.tokenBudget.spend(`${THROTTLER.token}:${tokenId}`, perMinute);
    if (spent instanceof Promise) return spent.then((s) => this.refuseIfSpent(s));
    this.refuseIfSpent(spent);
    return null;
  }

  /**
   * The installation-wide limits; with every one off (as in benchmarks), one branch, and on a
   * route that no throttler counts on (every route but /oauth2's and the leak report's, unless
   * the per-identity limit is on), one lookup: the library would read the route's metadata for
   * each throttler on every request.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.on || !this.countsOn(context)) return true;
    return super.canActivate(context);
  }

  /** Whether any throttler may count on the context's route, decided once per route. */
  countsOn(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    const owner = context.getClass();
    let byClass = this.routes.get(handler);
    if (!byClass) this.routes.set(handler, (byClass = new WeakMap()));
    let counts = byClass.get(owner);
    if (counts === undefined) {
      counts = this.throttlers.some(
        (t) =>
          !this.reflector.getAllAndOverride<boolean>(`${THROTTLER_SKIP}${t.name}`, [
            handler,
            owner,
          ]) && !(readsRouteOnly(t.skipIf) && t.skipIf(context)),
      );
      byClass.set(owner, counts);
    }
    return counts;
  }

  /** 429 for a spent window. */
  private refuseIfSpent(retryAfterMs: Spend): void {
    if (retryAfterMs === null) return;
    this.metrics.rateLimited('token');
    throw new RateLimitedError(retryAfterMs / 1000);
  }

  /** The error shape and a plain `Retry-After`, instead of the library's bare exception. */
  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const limit = limitOf(detail.key);
    if (limit) this.metrics.rateLimited(limit);
    throw new RateLimitedError(detail.timeToBlockExpire);
  }
}

function callerOf(context: ExecutionContext): CallingTokenView | undefined {
  return requestOf<Request>(context)[CONTEXT_KEY] as CallingTokenView | undefined;
}

/**
 * Keys are `<throttler name>:<tracker>` (`keyOf` in throttle.module.ts), so the limit is the
 * first part; null only for a throttler registered without that key, which none is.
 */
function limitOf(key: string): RateLimit | null {
  const name = key.slice(0, key.indexOf(':'));
  return RATE_LIMITS.find((l) => l === name) ?? null;
}

import { RateLimitedError } from './rate-limited.error';
import { type Spend, TokenBudget, type WindowCounter } from './token-budget';

/** The windows a shared limit counts in. Each is fixed: it starts with its first call. */
export const LIMIT_WINDOWS = ['second', 'minute', 'hour'] as const;
export type LimitWindow = (typeof LIMIT_WINDOWS)[number];
export const WINDOW_SECONDS: Record<LimitWindow, number> = { second: 1, minute: 60, hour: 3600 };

/** A business's named limit, as the request path reads it. */
export interface SharedLimitRule {
  readonly name: string;
  readonly window: LimitWindow;
  /** All of the business's tokens together; null: no such cap. */
  readonly perBusiness: number | null;
  /** Each identity's tokens together; null: no such cap, but for an override. */
  readonly perIdentity: number | null;
  /** Identity id → its own cap, in place of `perIdentity`. */
  readonly overrides: ReadonlyMap<string, number>;
}

/** A business's limits by name; empty for one that set none. */
export type BusinessLimits = ReadonlyMap<string, SharedLimitRule>;

/** The limit a call counts against when it names none. */
export const DEFAULT_LIMIT = 'default';

/**
 * Counts calls against a business's shared limits: the business-wide cap, then the caller's
 * identity's (its override, else `perIdentity`). Each is a `TokenBudget` window on the shared
 * counter, so it is exact across instances up to 199 a window and leased above, as a token's own
 * limit is. A spent cap is a 429 whose `RateLimit-Policy` and `RateLimit` fields
 * (draft-ietf-httpapi-ratelimit-headers) name it: `"<name>"` for the business-wide cap,
 * `"<name>/identity"` for the identity's.
 */
export class SharedLimitCounter {
  private readonly budgets: Record<LimitWindow, TokenBudget>;
  private readonly keys = new WeakMap<SharedLimitRule, { business: string; identity: string }>();

  constructor(counter: WindowCounter) {
    this.budgets = {
      second: new TokenBudget(counter, 1_000),
      minute: new TokenBudget(counter, 60_000),
      hour: new TokenBudget(counter, 3_600_000),
    };
  }

  /** null when the call may go on at once; a promise when a cap's lease must be refilled. */
  spend(businessId: string, identityId: string, rule: SharedLimitRule): Promise<void> | null {
    const own = rule.overrides.get(identityId) ?? rule.perIdentity;
    const whole = rule.perBusiness;
    const keys = this.keysOf(businessId, rule);
    const first = whole === null ? null : this.spendOne(keys.business, whole, rule, rule.name);
    if (own === null) return first;
    const second = () =>
      this.spendOne(`${keys.identity}${own}:${identityId}`, own, rule, `${rule.name}/identity`);
    if (first === null) return second();
    return first.then(() => second() ?? undefined);
  }

  /**
   * The rule's counter keys, made once per rule the book holds. The window and the cap are in
   * them: a changed cap counts afresh, and no lease taken under the old one is spent under it.
   */
  private keysOf(businessId: string, rule: SharedLimitRule) {
    let keys = this.keys.get(rule);
    if (keys === undefined) {
      const base = `quota:${businessId}:${rule.name}:${rule.window}`;
      keys = { business: `${base}:b${rule.perBusiness}`, identity: `${base}:i` };
      this.keys.set(rule, keys);
    }
    return keys;
  }

  private spendOne(
    key: string,
    max: number,
    rule: SharedLimitRule,
    policy: string,
  ): Promise<void> | null {
    const spent = this.budgets[rule.window].spend(key, max);
    if (spent instanceof Promise) return spent.then((s) => refuseIfSpent(s, max, rule, policy));
    refuseIfSpent(spent, max, rule, policy);
    return null;
  }
}

function refuseIfSpent(retryAfterMs: Spend, max: number, rule: SharedLimitRule, policy: string) {
  if (retryAfterMs === null) return;
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const per = policy.endsWith('/identity') ? 'for this identity' : 'for the business';
  throw new RateLimitedError(
    retryAfterMs / 1000,
    `The shared limit "${rule.name}" (${max} a ${rule.window} ${per}) is spent; retry later`,
    {
      'ratelimit-policy': `"${policy}";q=${max};w=${WINDOW_SECONDS[rule.window]}`,
      ratelimit: `"${policy}";r=0;t=${seconds}`,
    },
  );
}

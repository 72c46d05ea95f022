import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import {
  CONTEXT_KEY,
  requestOf,
  SHARED_LIMIT_KEY,
  TRUSTED_GATEWAY_KEY,
} from '../../common/http/request-keys';
import type { BusinessLimits } from '../../throttle/shared-limits';
import { RateLimitGuard } from '../../throttle/rate-limit.guard';
import { AccessGuard } from './access.guard';
import { BearerGuard, type GuardReply, type LatchkeyRequest } from './bearer.guard';
import { BusinessScopeGuard } from './business-scope.guard';
import { GatewayGuard } from './gateway.guard';
import { gatewayCostOf, gatewayLimitOf } from './gateway-requirements';
import { CreditSpender, SharedLimitBook } from '../ports';
import { type RoutePlan, RoutePlans } from './route-plan';

/**
 * The one global guard. It runs the design's checks in their order, and each only where the
 * route needs it: the bearer token (401, or 403 from outside its networks) unless `@Public()`,
 * the rate limits (429) when any is on, the token has its own, or a check's business has shared ones, the business header and business (422, 403, 404) on `@BusinessScoped()` routes, then
 * platform, role and scope (403) where a route asks for them. `GET /auth/verify`
 * (`@GatewayCheck()`) runs the same steps, with the gateway's token header and requirements
 * (`GatewayGuard`) in place of the bearer header and the business header. One guard instead of
 * four saves Nest's per-guard machinery on every request, and the route's plan is read once.
 */
@Injectable()
export class RequestGuard implements CanActivate {
  constructor(
    private readonly plans: RoutePlans,
    private readonly bearer: BearerGuard,
    private readonly limits: RateLimitGuard,
    private readonly business: BusinessScopeGuard,
    private readonly access: AccessGuard,
    private readonly gateway: GatewayGuard,
    private readonly book: SharedLimitBook,
    private readonly credits: CreditSpender,
  ) {}

  /**
   * Done at once when every step is (a warm token on a route with no shared limit: no promise,
   * no microtask), else a promise from the first step that must wait, the rest following it.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const plan = this.plans.of(context);
    const request = requestOf<LatchkeyRequest>(context);
    const authenticated = plan.gateway
      ? this.gateway.authenticate(request, context.getArgByIndex<GuardReply>(1))
      : plan.isPublic
        ? undefined
        : this.bearer.authenticate(
            request,
            this.bearer.apiPath,
            context.getArgByIndex<GuardReply>(1),
          );
    if (authenticated) return authenticated.then(() => this.limit(context, plan, request));
    return this.limit(context, plan, request);
  }

  /** The rate limits, after the token (429 comes after 401, before 422). */
  private limit(
    context: ExecutionContext,
    plan: RoutePlan,
    request: LatchkeyRequest,
  ): boolean | Promise<boolean> {
    // The token's own limit waits only when its lease must be refilled.
    const own = this.limits.spendTokenLimit(context);
    if (own) return own.then(() => this.businessLimits(context, plan, request));
    return this.businessLimits(context, plan, request);
  }

  /** The business's shared limit the call counts against, after the token's own. */
  private businessLimits(
    context: ExecutionContext,
    plan: RoutePlan,
    request: LatchkeyRequest,
  ): boolean | Promise<boolean> {
    const spent = this.spendBusinessLimit(plan, request);
    if (spent) return spent.then(() => this.shared(context, plan, request));
    return this.shared(context, plan, request);
  }

  /**
   * A gateway's check of a business token, against the business's limit: the one a trusted
   * gateway names, else `default`. Nothing where the business has no such limit, and nothing on
   * the API's own routes: a business's limits are for its own API's calls, and an owner who spent
   * one can still change it.
   */
  private spendBusinessLimit(plan: RoutePlan, request: LatchkeyRequest): Promise<void> | null {
    const ctx = request[CONTEXT_KEY];
    const businessId = ctx?.token.businessId;
    if (!plan.gateway || !ctx || !businessId) return null;
    const name = gatewayLimitOf(request.headers, request[TRUSTED_GATEWAY_KEY] === true);
    const spend = (limits: BusinessLimits) => {
      const rule = limits.get(name);
      if (!rule) return null;
      request[SHARED_LIMIT_KEY] = true;
      return this.limits.spendSharedLimit(businessId, ctx.actor.id, rule);
    };
    const limits = this.book.limitsOf(businessId);
    return limits instanceof Promise ? limits.then((l) => spend(l) ?? undefined) : spend(limits);
  }

  private shared(
    context: ExecutionContext,
    plan: RoutePlan,
    request: LatchkeyRequest,
  ): boolean | Promise<boolean> {
    // Asked first, so a route no limit counts on makes no promise for it.
    if (this.limits.enabled && this.limits.countsOn(context)) {
      return this.limits
        .canActivate(context)
        .then((allowed) => allowed && this.authorize(context, plan, request));
    }
    return this.authorize(context, plan, request);
  }

  /** The business header and business (422, 403, 404) on a business-scoped route. */
  private authorize(
    context: ExecutionContext,
    plan: RoutePlan,
    request: LatchkeyRequest,
  ): boolean | Promise<boolean> {
    const bound = plan.businessScoped
      ? this.business.bindRequest(request, plan.businessFromToken)
      : undefined;
    if (bound) return bound.then(() => this.authorizeGateway(context, plan, request));
    return this.authorizeGateway(context, plan, request);
  }

  /** The gateway's requirements (422, 403) on `GET /auth/verify`. */
  private authorizeGateway(
    context: ExecutionContext,
    plan: RoutePlan,
    request: LatchkeyRequest,
  ): boolean | Promise<boolean> {
    const required = plan.gateway ? this.gateway.authorize(request) : undefined;
    if (required) return required.then(() => this.checkAccess(context, plan, request));
    return this.checkAccess(context, plan, request);
  }

  /** Platform, role and scope (403); then, on a gateway's check, its cost in credits (429). */
  private checkAccess(
    context: ExecutionContext,
    plan: RoutePlan,
    request: LatchkeyRequest,
  ): boolean | Promise<boolean> {
    if (plan.checksAccess) this.access.canActivate(context);
    if (!plan.gateway) return true;
    const spent = this.spendCredits(request);
    if (spent instanceof Promise) {
      return spent.then((paid) => this.noteCounted(request, paid));
    }
    return this.noteCounted(request, spent);
  }

  /** A check a balance paid for is one a relying party must ask online (`rate_limit`). */
  private noteCounted(request: LatchkeyRequest, paid: boolean): true {
    if (paid) request[SHARED_LIMIT_KEY] = true;
    return true;
  }

  /**
   * A gateway check's cost, spent last, once every other check has passed (a refused check costs
   * nothing), from its business's credit balances. Nothing for a platform token.
   */
  private spendCredits(request: LatchkeyRequest): boolean | Promise<boolean> {
    const ctx = request[CONTEXT_KEY];
    const businessId = ctx?.token.businessId;
    if (!ctx || !businessId) return false;
    const cost = gatewayCostOf(request.headers, request[TRUSTED_GATEWAY_KEY] === true);
    return this.credits.spend(businessId, ctx.actor.id, cost);
  }
}

import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { RateLimitGuard } from '../throttle/rate-limit.guard';
import { AccessGuard } from './access.guard';
import { BearerGuard } from './bearer.guard';
import { BusinessScopeGuard } from './business-scope.guard';
import { GatewayGuard } from './gateway.guard';
import { RoutePlans } from './route-plan';

/**
 * The one global guard. It runs the design's checks in their order, and each only where the
 * route needs it: the bearer token (401, or 403 from outside its networks) unless `@Public()`,
 * the rate limits (429) when any is on or the token has its own, the business header and business (422, 403, 404) on `@BusinessScoped()` routes, then
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
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const plan = this.plans.of(context);
    if (plan.gateway) await this.gateway.authenticate(context.switchToHttp().getRequest());
    else if (!plan.isPublic) await this.bearer.canActivate(context);
    // The token's own limit waits only when its lease must be refilled.
    const own = this.limits.spendTokenLimit(context);
    if (own) await own;
    // Asked first, so a route no limit counts on makes no promise for it.
    const limited = this.limits.enabled && this.limits.countsOn(context);
    if (limited && !(await this.limits.canActivate(context))) return false;
    if (plan.businessScoped) await this.business.canActivate(context);
    if (plan.gateway) await this.gateway.authorize(context.switchToHttp().getRequest());
    if (plan.checksAccess) this.access.canActivate(context);
    return true;
  }
}

import { CanActivate, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { RateLimitGuard } from '../throttle/rate-limit.guard';
import { ThrottleModule } from '../throttle/throttle.module';
import { AppConfig } from '../config/app-config';
import { AccessGuard } from './access.guard';
import { BEARER_CHECK, BearerAuthGuard, LeanBearerGuard } from './bearer-auth.guard';
import { BearerStrategy } from './bearer.strategy';
import { BusinessScopeGuard } from './business-scope.guard';
import { RequestGuard } from './request.guard';
import { RoutePlans } from './route-plan';

/**
 * Needs a `PrincipalVerifier` (tokens provides it) and a `BusinessDirectory` (tenancy provides
 * it), both from global modules of the core, so that auth imports neither.
 *
 * Closed by default: one global guard (`RequestGuard`) runs on every route, and runs the checks
 * in the order of the design (token, then rate limits, then business header and business, then
 * role and scope), each where the route needs it. Its bearer check is `LeanBearerGuard`, or
 * passport's `AuthGuard('bearer')` with `BEARER_GUARD=passport`; `BearerStrategy` is registered
 * with passport either way, so `@UseGuards(AuthGuard('bearer'))` works on a route of your own.
 */
@Module({
  imports: [PassportModule, ThrottleModule],
  providers: [
    BearerStrategy,
    RoutePlans,
    BearerAuthGuard,
    LeanBearerGuard,
    {
      provide: BEARER_CHECK,
      inject: [AppConfig, LeanBearerGuard, BearerAuthGuard],
      useFactory: (
        config: AppConfig,
        lean: LeanBearerGuard,
        passport: BearerAuthGuard,
      ): CanActivate => (config.BEARER_GUARD === 'passport' ? passport : lean),
    },
    RateLimitGuard,
    BusinessScopeGuard,
    AccessGuard,
    { provide: APP_GUARD, useClass: RequestGuard },
  ],
})
export class AuthModule {}

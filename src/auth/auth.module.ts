import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { RateLimitGuard } from '../throttle/rate-limit.guard';
import { ThrottleModule } from '../throttle/throttle.module';
import { AccessGuard } from './access.guard';
import { BearerAuthGuard } from './bearer-auth.guard';
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
 * role and scope), each where the route needs it.
 */
@Module({
  imports: [PassportModule, ThrottleModule],
  providers: [
    BearerStrategy,
    RoutePlans,
    BearerAuthGuard,
    RateLimitGuard,
    BusinessScopeGuard,
    AccessGuard,
    { provide: APP_GUARD, useClass: RequestGuard },
  ],
})
export class AuthModule {}

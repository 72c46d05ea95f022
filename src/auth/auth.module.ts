import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { RateLimitGuard } from '../throttle/rate-limit.guard';
import { ThrottleModule } from '../throttle/throttle.module';
import { AccessGuard } from './access.guard';
import { BearerAuthGuard } from './bearer-auth.guard';
import { BearerStrategy } from './bearer.strategy';
import { BusinessScopeGuard } from './business-scope.guard';

/**
 * Needs a `PrincipalVerifier` (tokens provides it) and a `BusinessDirectory` (tenancy provides
 * it), both from global modules of the core, so that auth imports neither.
 *
 * Closed by default: the guards run on every route, in the order of the design's checks
 * (token, then rate limits, then business header and business, then role and scope).
 */
@Module({
  imports: [PassportModule, ThrottleModule],
  providers: [
    BearerStrategy,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: BusinessScopeGuard },
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
})
export class AuthModule {}

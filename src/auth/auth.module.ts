import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TenancyCoreModule } from '../tenancy/tenancy-core.module';
import { RateLimitGuard } from '../throttle/rate-limit.guard';
import { ThrottleModule } from '../throttle/throttle.module';
import { TokensModule } from '../tokens/tokens.module';
import { AccessGuard } from './access.guard';
import { BearerAuthGuard } from './bearer-auth.guard';
import { BearerStrategy } from './bearer.strategy';
import { BusinessScopeGuard } from './business-scope.guard';

/**
 * Closed by default: the guards run on every route, in the order of the design's checks
 * (token, then rate limits, then business header and business, then role and scope).
 */
@Module({
  imports: [PassportModule, TokensModule, TenancyCoreModule, ThrottleModule],
  providers: [
    BearerStrategy,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: BusinessScopeGuard },
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
})
export class AuthModule {}

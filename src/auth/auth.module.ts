import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { RateLimitGuard } from '../throttle/rate-limit.guard';
import { ThrottleModule } from '../throttle/throttle.module';
import { AccessGuard } from './guards/access.guard';
import { BearerGuard, PassportBearerGuard } from './guards/bearer.guard';
import { BearerStrategy } from './guards/bearer.strategy';
import { DpopProofs } from './guards/dpop-proofs';
import { BusinessScopeGuard } from './guards/business-scope.guard';
import { GatewayGuard } from './guards/gateway.guard';
import {
  BusinessDirectory,
  CreditSpender,
  PrincipalVerifier,
  SharedKeys,
  SharedLimitBook,
} from './ports';
import { RequestGuard } from './guards/request.guard';
import { RoutePlans } from './guards/route-plan';

const PROVIDERS = [
  DpopProofs,
  BearerStrategy,
  RoutePlans,
  BearerGuard,
  PassportBearerGuard,
  RateLimitGuard,
  BusinessScopeGuard,
  AccessGuard,
  GatewayGuard,
  // By class too, so that a route's fast path (src/gateway/verify-fast-path.ts) runs the same one.
  RequestGuard,
  { provide: APP_GUARD, useExisting: RequestGuard },
];

/** What the app hands auth: the modules that hold its ports, and their providers. */
export interface AuthWiring {
  imports: NonNullable<ModuleMetadata['imports']>;
  /** Turns a bearer secret into a principal: tokens' `TokenVerifier`. */
  verifier: Type<PrincipalVerifier>;
  /** Finds a business by id: tenancy's `TenancyDirectory`. */
  directory: Type<BusinessDirectory>;
  /** The key material every instance shares: signing's `JwtDerivedKeys`. */
  keys: Type<SharedKeys>;
  /** Each business's shared limits: governance's `LimitBook`. */
  limits: Type<SharedLimitBook>;
  /** What spends a check's cost from credit balances: governance's `CreditMeter`. */
  credits: Type<CreditSpender>;
}

/**
 * Who is calling. It needs a `PrincipalVerifier`, a `BusinessDirectory`, `SharedKeys`, a
 * `SharedLimitBook` and a `CreditSpender`, which the app names in `AuthModule.register` (tokens, tenancy, signing and
 * governance sit above auth, and auth imports none of them).
 *
 * Closed by default: one global guard (`RequestGuard`) runs on every route, and runs the checks
 * in the order of the design (token, then rate limits, then business header and business, then
 * role and scope), each where the route needs it. Its bearer check is `BearerGuard`, which asks
 * the verifier itself; `BearerStrategy` is registered with passport, so
 * `@UseGuards(PassportBearerGuard)` (passport's `AuthGuard('bearer')`) works on a route of your own.
 */
@Module({})
export class AuthModule {
  static register(wiring: AuthWiring): DynamicModule {
    return {
      module: AuthModule,
      imports: [PassportModule, ThrottleModule, ...wiring.imports],
      providers: [
        { provide: PrincipalVerifier, useExisting: wiring.verifier },
        { provide: BusinessDirectory, useExisting: wiring.directory },
        { provide: SharedKeys, useExisting: wiring.keys },
        { provide: SharedLimitBook, useExisting: wiring.limits },
        { provide: CreditSpender, useExisting: wiring.credits },
        ...PROVIDERS,
      ],
      // The DPoP proofs a token endpoint checks too (RFC 9449 §5), with the same replay cache
      // and nonces: given to every module, as the guards are global.
      global: true,
      exports: [DpopProofs],
    };
  }
}

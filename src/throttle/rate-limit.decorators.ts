import { applyDecorators, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiErrors } from '../common/http/envelope';

export const OAUTH_RATE_LIMITED = 'latchkey:oauth-rate-limited';

/**
 * Counts the route against `RATE_LIMIT_OAUTH_PER_MINUTE`, per client IP. The budget is one for
 * every route that carries it, so spreading calls over revoke and introspect gains nothing.
 */
export const OAuthRateLimit = () =>
  applyDecorators(
    SetMetadata(OAUTH_RATE_LIMITED, true),
    ApiErrors({ 429: ['RATE_LIMITED (per client IP; see Retry-After)'] }),
  );

export const LEAKS_RATE_LIMITED = 'latchkey:leaks-rate-limited';

/**
 * Counts the route against `RATE_LIMIT_LEAKS_PER_MINUTE`, per client IP: a budget of its own,
 * so that leak reports and the /oauth2 routes never spend each other's.
 */
export const LeakReportRateLimit = () =>
  applyDecorators(
    SetMetadata(LEAKS_RATE_LIMITED, true),
    ApiErrors({ 429: ['RATE_LIMITED (per client IP; see Retry-After)'] }),
  );

export const REGISTRATION_RATE_LIMITED = 'latchkey:registration-rate-limited';

/**
 * Counts the route against `RATE_LIMIT_CLIENT_REGISTRATIONS_PER_HOUR`, per client IP: a budget
 * of its own, on top of the /oauth2 one, since each registration is a row kept for a day.
 */
export const ClientRegistrationRateLimit = () =>
  applyDecorators(
    SetMetadata(REGISTRATION_RATE_LIMITED, true),
    ApiErrors({ 429: ['RATE_LIMITED (per client IP; see Retry-After)'] }),
  );

/** The `skipIf`s that read nothing but the route's own marker (see `skipUnlessMarked`). */
const routeOnlySkips = new WeakSet<object>();

/**
 * A throttler's `skipIf` for a budget that counts only on routes marked with `key`: it reads the
 * route's metadata and nothing of the request, so `RateLimitGuard` asks it once per route and
 * spends nothing on the other routes' requests.
 */
export function skipUnlessMarked(key: string): (context: ExecutionContext) => boolean {
  const reflector = new Reflector();
  const skip = (context: ExecutionContext) =>
    !reflector.getAllAndOverride<boolean>(key, [context.getHandler(), context.getClass()]);
  routeOnlySkips.add(skip);
  return skip;
}

/** Whether `skipIf` is one of `skipUnlessMarked`'s, whose answer is the route's. */
export function readsRouteOnly(skipIf: unknown): skipIf is (context: ExecutionContext) => boolean {
  return typeof skipIf === 'function' && routeOnlySkips.has(skipIf);
}

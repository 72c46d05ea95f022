import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthFailureLimiter } from '../throttle/auth-failure-limiter';
import { PrincipalVerifier, VerifiedPrincipal } from './ports';
import { AuthError } from './auth-error';
import { CONTEXT_KEY } from './decorators';
import { RoutePlans } from './route-plan';
import { originOf, RequestContext } from './request-context';

type LatchkeyRequest = FastifyRequest & { [CONTEXT_KEY]?: RequestContext };

const SCHEME = /^Bearer$/i;

/**
 * The credential of an `Authorization: Bearer <token>` header, by the rules passport-http-bearer
 * applies (RFC 6750 §2.1): the scheme is case-insensitive, and the header is exactly two parts
 * split on one space. Anything else, an empty token included, is no credential. The query string
 * and the body are never read (RFC 6750 §2.2 and §2.3 are not offered).
 */
export function bearerTokenOf(header: string | undefined): string | null {
  if (!header) return null;
  const parts = header.split(' ');
  if (parts.length !== 2 || !SCHEME.test(parts[0])) return null;
  return parts[1] || null;
}

/**
 * The global guard: every route needs a valid bearer token unless it is `@Public()`. On
 * success it puts the request context on the request.
 *
 * It calls the verifier directly rather than through passport: passport's per-request
 * machinery (a strategy object per request, callbacks, the request view) cost a measurable
 * share of the hot path's throughput (see the README's Rate limits and Performance notes). The
 * passport `BearerStrategy` stays registered for anything that wants `AuthGuard('bearer')`, and
 * both reach the same `PrincipalVerifier.verify(secret, origin)` (tokens' TokenVerifier).
 *
 * A 401 is counted against the client IP's failed-authentication budget; once that is spent,
 * the same failure answers 429 instead. A valid token is never counted and always passes.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly plans: RoutePlans,
    private readonly verifier: PrincipalVerifier,
    private readonly failures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.plans.of(context).isPublic) return true;
    const request = context.switchToHttp().getRequest<LatchkeyRequest>();
    const origin = originOf(request);
    let principal: VerifiedPrincipal;
    try {
      const secret = bearerTokenOf(request.headers.authorization);
      if (secret === null) {
        throw AuthError.bearer('INVALID_TOKEN', 'Missing or malformed bearer token');
      }
      principal = await this.verifier.verify(secret, origin);
    } catch (e) {
      if (e instanceof AuthError && e.status === 401) {
        throw (await this.failures.noteFailure(request.ip)) ?? e;
      }
      throw e;
    }
    request[CONTEXT_KEY] = new RequestContext(
      origin,
      principal.actor,
      principal.token,
      null,
      principal.role,
    );
    return true;
  }
}

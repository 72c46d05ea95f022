import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { EventOrigin } from '../database/domain-event';
import { AuthFailureLimiter } from '../throttle/auth-failure-limiter';
import { VerifiedPrincipal } from './ports';
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

/** What passport is shown: the Authorization header alone, and where the request came from. */
interface PassportView {
  headers: { authorization?: string };
  origin: EventOrigin;
}

/**
 * The bearer check of the global guard: passport's `AuthGuard('bearer')` with `BearerStrategy`,
 * so a Nest user finds the guard and strategy they expect and can add to. Every route needs a
 * valid bearer token unless it is `@Public()`; on success the request context goes on the
 * request.
 *
 * Passport is shown a header-only view of the request (`getRequest`), because
 * passport-http-bearer would also take `access_token` from the query string and the body (RFC
 * 6750 §2.2 and §2.3, which are not offered). Its cost was measured before it was chosen: about
 * 2.4 µs per request, 1.1% of a warm `/api/v1/me` (`npm run bench` prints the figure).
 *
 * Every failure is a 401 in the API's shape: a missing or malformed header, or what the verifier
 * says. A 401 is counted against the client IP's failed-authentication budget; once that is
 * spent, the same failure answers 429 instead. A valid token is never counted and always passes.
 */
@Injectable()
export class BearerAuthGuard extends AuthGuard('bearer') implements CanActivate {
  constructor(
    private readonly plans: RoutePlans,
    private readonly failures: AuthFailureLimiter,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.plans.of(context).isPublic) return true;
    try {
      return (await super.canActivate(context)) as boolean;
    } catch (e) {
      if (e instanceof AuthError && e.status === 401) {
        const request = context.switchToHttp().getRequest<LatchkeyRequest>();
        throw (await this.failures.noteFailure(request.ip)) ?? e;
      }
      throw e;
    }
  }

  override getRequest(context: ExecutionContext): PassportView {
    const request = context.switchToHttp().getRequest<LatchkeyRequest>();
    return { headers: { authorization: request.headers.authorization }, origin: originOf(request) };
  }

  /** Passport's verdict: the verifier's error as it stands, no credential as INVALID_TOKEN. */
  override handleRequest<T = VerifiedPrincipal>(
    err: Error | null,
    user: VerifiedPrincipal | false | null,
    _info: unknown,
    context: ExecutionContext,
  ): T {
    if (err) throw err;
    if (!user) throw AuthError.bearer('INVALID_TOKEN', 'Missing or malformed bearer token');
    const request = context.switchToHttp().getRequest<LatchkeyRequest>();
    request[CONTEXT_KEY] = new RequestContext(
      originOf(request),
      user.actor,
      user.token,
      null,
      user.role,
    );
    return user as T;
  }
}

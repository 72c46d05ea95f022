import { clientIp } from '../common/client-ip';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { EventOrigin } from '../database/domain-event';
import { AuthFailureLimiter } from '../throttle/auth-failure-limiter';
import { VerifiedPrincipal } from './ports';
import { AuthError } from './auth-error';
import { BearerStrategy } from './bearer.strategy';
import { CONTEXT_KEY } from './decorators';
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

/** Puts the verified caller on the request as its context: what both bearer guards do on success. */
function admit(request: LatchkeyRequest, user: VerifiedPrincipal): void {
  request[CONTEXT_KEY] = new RequestContext(
    originOf(request),
    user.actor,
    user.token,
    null,
    user.role,
  );
}

/**
 * What both bearer guards throw on failure: a 401 is counted against the client IP's
 * failed-authentication budget, and once that is spent the same failure answers 429 instead.
 */
function refusal(
  failures: AuthFailureLimiter,
  request: LatchkeyRequest,
  e: unknown,
): Promise<unknown> {
  return e instanceof AuthError && e.status === 401
    ? failures.answer(clientIp(request) ?? undefined, e)
    : Promise.resolve(e);
}

const noCredential = () => AuthError.bearer('INVALID_TOKEN', 'Missing or malformed bearer token');

/**
 * The bearer check of the global guard, by default (`BEARER_GUARD=lean`): it reads the
 * `Authorization` header by passport-http-bearer's rules and calls `BearerStrategy.validate`
 * itself, so the strategy stays the one place that turns a secret into a principal.
 *
 * Not passport's `AuthGuard('bearer')`, by measurement: docs/performance.md, "Why the code
 * looks the way it does".
 *
 * `RequestGuard` runs it on every route that is not `@Public()` (the route's plan says so once);
 * on success the request context goes on the request. Every failure is a 401 in the API's shape:
 * a missing or malformed header, or what the verifier says. A valid token is never counted
 * against the failure budget; an IP that has spent it gets 429 before its credential is read.
 */
@Injectable()
export class LeanBearerGuard implements CanActivate {
  constructor(
    private readonly failures: AuthFailureLimiter,
    private readonly strategy: BearerStrategy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<LatchkeyRequest>();
    this.failures.refuseBlocked(clientIp(request) ?? undefined);
    try {
      const secret = bearerTokenOf(request.headers.authorization);
      if (secret === null) throw noCredential();
      admit(request, await this.strategy.validate({ origin: originOf(request) }, secret));
      return true;
    } catch (e) {
      throw await refusal(this.failures, request, e);
    }
  }
}

/**
 * The bearer check through passport (`BEARER_GUARD=passport`): `AuthGuard('bearer')` with
 * `BearerStrategy`, for an installation that wants passport's pipeline on every request. The
 * answers are the lean guard's (`test/auth.e2e-spec.ts` runs under both).
 *
 * Passport is shown a header-only view of the request (`getRequest`), because
 * passport-http-bearer would also take `access_token` from the query string and the body (RFC
 * 6750 §2.2 and §2.3, which are not offered).
 */
@Injectable()
export class BearerAuthGuard extends AuthGuard('bearer') implements CanActivate {
  constructor(private readonly failures: AuthFailureLimiter) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    this.failures.refuseBlocked(
      clientIp(context.switchToHttp().getRequest<LatchkeyRequest>()) ?? undefined,
    );
    try {
      return (await super.canActivate(context)) as boolean;
    } catch (e) {
      throw await refusal(this.failures, context.switchToHttp().getRequest(), e);
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
    if (!user) throw noCredential();
    admit(context.switchToHttp().getRequest<LatchkeyRequest>(), user);
    return user as T;
  }
}

/** The global guard's bearer check, as `BEARER_GUARD` chose it. */
export const BEARER_CHECK = Symbol('BEARER_CHECK');

import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import { ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { ApiBodyErrors, ApiErrors } from '../common/http/envelope';
import { CONTEXT_KEY } from '../common/http/request-keys';
import type { Role } from './roles';
import type { RequestContext } from './request-context';

export const IS_PUBLIC = 'latchkey:public';
export const BUSINESS_SCOPED = 'latchkey:business-scoped';
export const BUSINESS_FROM_TOKEN = 'latchkey:business-from-token';
export const PLATFORM_ONLY = 'latchkey:platform-only';
export const REQUIRED_ROLE = 'latchkey:required-role';
export const REQUIRED_SCOPE = 'latchkey:required-scope';
export const RETIRING_ALLOWED = 'latchkey:retiring-allowed';
export const GATEWAY_CHECK = 'latchkey:gateway-check';

/**
 * The OpenAPI security requirements, by the names `src/docs/swagger.ts` gives the schemes. One
 * requirement object lists every scheme it needs at once (both must be sent): a list of two
 * objects would mean either one.
 */
export const BEARER_ONLY = { bearer: [] };
export const BEARER_AND_BUSINESS = { bearer: [], 'business-id': [] };

/**
 * Marks a route's OpenAPI operation as open; the document builder turns the mark into
 * `security: []`, which `@nestjs/swagger` cannot write itself (it drops an empty list).
 */
export const PUBLIC_OPERATION = 'x-latchkey-public';

/** Opens a route: every other route needs a bearer token. */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_OPERATION, true));

/** A route that needs a bearer token and no business: what every route not `@Public()` is. */
export const BearerAuth = () => ApiSecurity(BEARER_ONLY);

const RETIRING_WRITE = 'TOKEN_RETIRING (a write by a token in its rotation grace period)';

/**
 * Lets a token in its rotation grace period call this write: revoking itself, introspecting.
 * Every other write (any method but GET) refuses a retiring token with 403 TOKEN_RETIRING.
 */
export const RetiringAllowed = () => SetMetadata(RETIRING_ALLOWED, true);

/**
 * A gateway's check (`GET /auth/verify`): the token a gateway's client presents, and what the
 * gateway requires of it, through `GatewayGuard` and the API's own rules. It writes nothing, so a
 * token in its rotation grace period passes, whatever the method.
 */
export const GatewayCheck = () =>
  applyDecorators(SetMetadata(GATEWAY_CHECK, true), RetiringAllowed(), BearerAuth());

/** The 429s of any authenticated request: a rate limit, or a token's spent `uses_limit`. */
export const BEARER_429 = [
  'RATE_LIMITED (see Retry-After)',
  'USES_EXHAUSTED (the token has no uses left; Retry-After when a refill is due)',
];

/** A person's token in the console of a business that takes SSO sessions alone there. */
const CONSOLE_SSO_ONLY = 'SSO_REQUIRED (the console, where the business takes SSO sessions alone)';

/** A `/api/v1` controller: bearer token plus `x-business-id`, checked in that order. */
export const BusinessScoped = () =>
  applyDecorators(
    SetMetadata(BUSINESS_SCOPED, true),
    ApiSecurity(BEARER_AND_BUSINESS),
    ApiBodyErrors(),
    ApiErrors({
      401: ['INVALID_TOKEN', 'TOKEN_EXPIRED', 'TOKEN_REVOKED', 'TOKEN_DISABLED'],
      403: ['BUSINESS_MISMATCH', 'BUSINESS_SUSPENDED', RETIRING_WRITE, CONSOLE_SSO_ONLY],
      404: ['BUSINESS_NOT_FOUND (a platform token naming no business)'],
      422: ['VALIDATION_ERROR (also for x-business-id missing or not a uuid)'],
      429: BEARER_429,
    }),
  );

/**
 * A business-scoped controller whose callers follow a standard that has no business header (the
 * Shared Signals stream management API): a business token acts in its own business, so
 * `x-business-id` may be left out; when sent, it is checked as on `/api/v1`. A platform token
 * must still name the business.
 */
export const BusinessOfToken = () =>
  applyDecorators(
    SetMetadata(BUSINESS_SCOPED, true),
    SetMetadata(BUSINESS_FROM_TOKEN, true),
    ApiSecurity(BEARER_ONLY),
    ApiBodyErrors(),
    ApiErrors({
      401: ['INVALID_TOKEN', 'TOKEN_EXPIRED', 'TOKEN_REVOKED', 'TOKEN_DISABLED'],
      403: ['BUSINESS_MISMATCH', 'BUSINESS_SUSPENDED', RETIRING_WRITE, CONSOLE_SSO_ONLY],
      404: ['BUSINESS_NOT_FOUND (a platform token naming no business)'],
      422: [
        'VALIDATION_ERROR (also for x-business-id not a uuid, or missing with a platform token)',
      ],
      429: BEARER_429,
    }),
  );

/** A `/platform/v1` controller: a platform admin's platform token, no business header. */
export const PlatformOnly = () =>
  applyDecorators(
    SetMetadata(PLATFORM_ONLY, true),
    BearerAuth(),
    ApiBodyErrors(),
    ApiErrors({
      401: ['INVALID_TOKEN', 'TOKEN_EXPIRED', 'TOKEN_REVOKED', 'TOKEN_DISABLED'],
      403: ['PLATFORM_ADMIN_REQUIRED', RETIRING_WRITE],
      429: BEARER_429,
    }),
  );

/** The caller needs at least this role in the business (a platform token has every role). */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

/** The caller's token must allow this scope (null scopes allow everything within the role). */
export const RequireScope = (scope: string) => SetMetadata(REQUIRED_SCOPE, scope);

export { CONTEXT_KEY };

/** Hands the request context the guards built to a handler. */
export const Ctx = createParamDecorator((_: unknown, host: ExecutionContext): RequestContext => {
  const request = host.switchToHttp().getRequest<Record<string, unknown>>();
  const ctx = request[CONTEXT_KEY];
  if (!ctx) throw new Error('No request context: is this route @Public()?');
  return ctx as RequestContext;
});

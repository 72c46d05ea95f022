import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiErrors } from '../common/envelope';

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

import { ExecutionContext, Module } from '@nestjs/common';
import {
  ThrottlerModule,
  ThrottlerStorageService,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { CallingTokenView, CONTEXT_KEY } from '../common/http/request-keys';
import { clientIp } from '../common/http/client-ip';
import { AppConfig } from '../config/app-config';
import { AuthFailureLimiter } from './auth-failure-limiter';
import {
  LEAKS_RATE_LIMITED,
  OAUTH_RATE_LIMITED,
  REGISTRATION_RATE_LIMITED,
  skipUnlessMarked,
} from './rate-limit.decorators';
import { RedisThrottlerStorage } from './redis-throttler-storage';
import { RedisConnections } from '../redis/redis-connections';
import {
  RATE_LIMIT_REGISTRATION_WINDOW_MS,
  RATE_LIMIT_WINDOW_MS,
  THROTTLER,
} from './throttler-names';

type Request = Record<string, unknown>;

// Keys name their budget: the in-memory storage keeps one block state per key, so the same IP
// must not share a key between the oauth budget and the failed-authentication budget.
const keyOf = (_context: ExecutionContext, tracker: string, name: string) => `${name}:${tracker}`;

function contextOf(context: ExecutionContext): CallingTokenView | undefined {
  return context.switchToHttp().getRequest<Request>()[CONTEXT_KEY] as CallingTokenView | undefined;
}

/**
 * Redis storage when Redis is configured (one server, Sentinel or Cluster), so that instances
 * share their budgets; in-memory otherwise. Keys carry a prefix, so that apps and test runs
 * sharing one Redis never collide.
 */
export function throttlerStorage(config: AppConfig): ThrottlerStorage {
  const redis = config.redisTopology;
  if (!redis) return new ThrottlerStorageService();
  return new RedisThrottlerStorage(
    new RedisConnections(redis),
    `${config.REDIS_KEY_PREFIX}throttle:`,
    config.REDIS_COMMAND_TIMEOUT_MS,
  );
}

/** The per-route throttlers; a limit of 0 registers none, so its check is skipped entirely. */
export function throttlerOptions(config: AppConfig): ThrottlerModuleOptions {
  const throttlers: ThrottlerOptions[] = [];
  if (config.RATE_LIMIT_OAUTH_PER_MINUTE > 0) {
    throttlers.push({
      name: THROTTLER.oauth,
      limit: config.RATE_LIMIT_OAUTH_PER_MINUTE,
      ttl: RATE_LIMIT_WINDOW_MS,
      // Per client IP (canonical, TRUST_PROXY's), on marked routes only.
      skipIf: skipUnlessMarked(OAUTH_RATE_LIMITED),
      getTracker: (request: Request) => clientIp(request) ?? 'unknown',
      generateKey: keyOf,
    });
  }
  if (config.RATE_LIMIT_LEAKS_PER_MINUTE > 0) {
    throttlers.push({
      name: THROTTLER.leaks,
      limit: config.RATE_LIMIT_LEAKS_PER_MINUTE,
      ttl: RATE_LIMIT_WINDOW_MS,
      // Per client IP, on `POST /leaks/github` only, before its signature is checked.
      skipIf: skipUnlessMarked(LEAKS_RATE_LIMITED),
      getTracker: (request: Request) => clientIp(request) ?? 'unknown',
      generateKey: keyOf,
    });
  }
  if (config.RATE_LIMIT_CLIENT_REGISTRATIONS_PER_HOUR > 0) {
    throttlers.push({
      name: THROTTLER.registrations,
      limit: config.RATE_LIMIT_CLIENT_REGISTRATIONS_PER_HOUR,
      ttl: RATE_LIMIT_REGISTRATION_WINDOW_MS,
      // Per client IP, on `POST /oauth2/register` only.
      skipIf: skipUnlessMarked(REGISTRATION_RATE_LIMITED),
      getTracker: (request: Request) => clientIp(request) ?? 'unknown',
      generateKey: keyOf,
    });
  }
  if (config.RATE_LIMIT_IDENTITY_PER_MINUTE > 0) {
    throttlers.push({
      name: THROTTLER.identity,
      limit: config.RATE_LIMIT_IDENTITY_PER_MINUTE,
      ttl: RATE_LIMIT_WINDOW_MS,
      // Public routes have no caller, and are not limited per identity.
      skipIf: (context) => contextOf(context) === undefined,
      // One budget per person or machine, whatever token it calls with: minting more tokens
      // buys no more requests.
      getTracker: (request: Request) => (request[CONTEXT_KEY] as CallingTokenView).actor.id,
      generateKey: keyOf,
    });
  }
  // No X-RateLimit-* headers: the library would suffix them with the throttler's name.
  return { throttlers, storage: throttlerStorage(config), setHeaders: false };
}

/**
 * Rate limits on `@nestjs/throttler`. The guard itself is registered by the auth module,
 * between the bearer guard and the business-scope guard, where the order of checks puts it.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => throttlerOptions(config),
    }),
  ],
  providers: [AuthFailureLimiter],
  exports: [AuthFailureLimiter],
})
export class ThrottleModule {}

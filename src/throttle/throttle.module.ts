import { ExecutionContext, Module } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ThrottlerModule,
  ThrottlerStorageService,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { CallingTokenView, CONTEXT_KEY } from '../common/request-keys';
import { AppConfig } from '../config/app-config';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { OAUTH_RATE_LIMITED } from './rate-limit.decorators';
import { RedisThrottlerStorage } from './redis-throttler-storage';
import { RATE_LIMIT_WINDOW_MS, THROTTLER } from './throttler-names';

type Request = Record<string, unknown>;

// Keys name their budget: the in-memory storage keeps one block state per key, so the same IP
// must not share a key between the oauth budget and the failed-authentication budget.
const keyOf = (_context: ExecutionContext, tracker: string, name: string) => `${name}:${tracker}`;

function contextOf(context: ExecutionContext): CallingTokenView | undefined {
  return context.switchToHttp().getRequest<Request>()[CONTEXT_KEY] as CallingTokenView | undefined;
}

/**
 * Redis storage when REDIS_URL is set, so that instances share their budgets; in-memory
 * otherwise. Keys carry a prefix, so that apps and test runs sharing one Redis never collide.
 */
export function throttlerStorage(config: AppConfig): ThrottlerStorage {
  if (!config.REDIS_URL) return new ThrottlerStorageService();
  return new RedisThrottlerStorage(config.REDIS_URL, `${config.REDIS_KEY_PREFIX}throttle:`);
}

/** The per-route throttlers; a limit of 0 registers none, so its check is skipped entirely. */
export function throttlerOptions(config: AppConfig): ThrottlerModuleOptions {
  const reflector = new Reflector();
  const throttlers: ThrottlerOptions[] = [];
  if (config.RATE_LIMIT_OAUTH_PER_MINUTE > 0) {
    throttlers.push({
      name: THROTTLER.oauth,
      limit: config.RATE_LIMIT_OAUTH_PER_MINUTE,
      ttl: RATE_LIMIT_WINDOW_MS,
      // Per client IP (the library's tracker: request.ip, IPv6 by /64), on marked routes only.
      skipIf: (context) =>
        !reflector.getAllAndOverride<boolean>(OAUTH_RATE_LIMITED, [
          context.getHandler(),
          context.getClass(),
        ]),
      generateKey: keyOf,
    });
  }
  if (config.RATE_LIMIT_TOKEN_PER_MINUTE > 0) {
    throttlers.push({
      name: THROTTLER.token,
      limit: config.RATE_LIMIT_TOKEN_PER_MINUTE,
      ttl: RATE_LIMIT_WINDOW_MS,
      // Public routes have no token, and are not limited per token.
      skipIf: (context) => contextOf(context) === undefined,
      getTracker: (request: Request) => (request[CONTEXT_KEY] as CallingTokenView).token.id,
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

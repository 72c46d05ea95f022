import type { ExceptionFilter, ExecutionContext } from '@nestjs/common';
import { ForbiddenException } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_CHECK } from '../auth/decorators';
import type { RequestContext } from '../auth/request-context';
import { CONTEXT_KEY } from '../common/request-keys';
import { verifiedHeaders } from './verified-headers';
import { VerifyController } from './verify.controller';

type Handler = (...args: never[]) => unknown;

/** What Nest answers when a guard says false (its `FORBIDDEN_MESSAGE`); `RequestGuard` throws instead. */
const FORBIDDEN_MESSAGE = 'Forbidden resource';

/**
 * `GET /auth/verify` (and any method below it) answered by Fastify straight through the one
 * global guard, without Nest's router around it: the check gateways make on every request of
 * theirs is the hot path, and Nest's per-request machinery (its guard consumer, the parameter
 * pipes, the response controller, the exception zone) cost about as much as the verification
 * itself (docs/performance.md, issue 38).
 *
 * Nothing else changes. Nest still registers the route (its Swagger entry, its Fastify hooks:
 * security headers, request id, metrics, usage, the request log), and as each verify route is
 * registered this hook swaps its handler for one that does what Nest's did for it: the same
 * `RequestGuard` on an execution context naming `VerifyController`'s method (so the route's plan,
 * closed by default, and the rate limits read the same metadata), the 204 with `Cache-Control:
 * no-store` and the verified headers, and every refusal through the same exception filter.
 *
 * With tracing on it is not registered, so a verify keeps the Nest spans every other route has.
 */
export function registerVerifyFastPath(
  fastify: FastifyInstance,
  guard: Guard,
  filter: ExceptionFilter,
): void {
  const methods = [VerifyController.prototype.verify, VerifyController.prototype.verifyBelow];
  fastify.addHook('onRoute', (route) => {
    const handler = route.handler as Handler;
    if (Reflect.getMetadata(GATEWAY_CHECK, handler) !== true) return;
    const path: unknown = Reflect.getMetadata(PATH_METADATA, handler);
    const method = methods.find((m) => Reflect.getMetadata(PATH_METADATA, m) === path);
    // A gateway check this does not know answers through Nest, as before.
    if (method === undefined) return;
    route.handler = (request: FastifyRequest, reply: FastifyReply) => {
      const context = new ExecutionContextHost(
        [request, reply, undefined],
        VerifyController,
        method,
      );
      let verdict: boolean | Promise<boolean>;
      try {
        verdict = guard.canActivate(context);
      } catch (e) {
        filter.catch(e, context);
        return reply;
      }
      // A warm token answers here, in this call: no promise, no microtask (issue 38).
      if (!(verdict instanceof Promise)) {
        answer(verdict, context, request, reply, filter);
        return reply;
      }
      return verdict.then(
        (allowed) => {
          answer(allowed, context, request, reply, filter);
          return reply;
        },
        (e: unknown) => {
          filter.catch(e, context);
          return reply;
        },
      );
    };
  });
}

/** The guard as the fast path runs it: `RequestGuard`, which answers at once when it can. */
interface Guard {
  canActivate(context: ExecutionContext): boolean | Promise<boolean>;
}

/** The 204 with the verified headers, or what Nest answers when a guard says false. */
function answer(
  allowed: boolean,
  context: ExecutionContext,
  request: FastifyRequest,
  reply: FastifyReply,
  filter: ExceptionFilter,
): void {
  if (!allowed) {
    filter.catch(new ForbiddenException(FORBIDDEN_MESSAGE), context);
    return;
  }
  let headers: Readonly<Record<string, string>>;
  try {
    const ctx = (request as FastifyRequest & { [CONTEXT_KEY]: RequestContext })[CONTEXT_KEY];
    headers = verifiedHeaders(ctx);
  } catch (e) {
    filter.catch(e, context);
    return;
  }
  void reply.code(204).header('cache-control', 'no-store').headers(headers);
  void reply.send();
}

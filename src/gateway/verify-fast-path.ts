import type { ExceptionFilter } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_CHECK } from '../auth/decorators';
import type { RequestContext } from '../auth/request-context';
import { fastRouteHandler, type FastRouteGuard } from '../common/fast-route';
import { CONTEXT_KEY } from '../common/request-keys';
import { verifiedHeaders } from './verified-headers';
import { VerifyController } from './verify.controller';

type Handler = (...args: never[]) => unknown;

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
  guard: FastRouteGuard,
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
    route.handler = fastRouteHandler(VerifyController, method, guard, filter, answerVerified);
  });
}

/** The 204 with `Cache-Control: no-store` and the verified headers, once the guard has passed. */
function answerVerified(request: FastifyRequest, reply: FastifyReply): void {
  const ctx = (request as FastifyRequest & { [CONTEXT_KEY]: RequestContext })[CONTEXT_KEY];
  const headers = verifiedHeaders(ctx);
  void reply.code(204).header('cache-control', 'no-store').headers(headers);
  void reply.send();
}

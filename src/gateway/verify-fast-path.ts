import type { ExceptionFilter } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_CHECK } from '../auth/decorators';
import type { RequestContext } from '../auth/request-context';
import { fastRouteHandler, type FastRouteGuard } from '../common/http/fast-route';
import { CONTEXT_KEY, SHARED_LIMIT_KEY } from '../common/http/request-keys';
import { checkAnswerHeaders } from './verified-headers';
import { VerifyController } from './http/verify.controller';

type Handler = (...args: never[]) => unknown;

/**
 * `GET /auth/verify` (and any method below it) answered by Fastify through the global guard,
 * without Nest's router: gateways call it on every request of theirs, and Nest's per-request
 * machinery cost about as much as the verification itself (docs/performance.md). Nest still
 * registers the route (its Swagger entry, its Fastify hooks); this hook swaps its handler for
 * `fastRouteHandler`, which runs the same guard and answers the same 204 with
 * `Cache-Control: no-store` and the verified headers. With tracing on it is not registered, so a
 * verify keeps the Nest spans every other route has.
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
  const checked = request as FastifyRequest & {
    [CONTEXT_KEY]: RequestContext;
    [SHARED_LIMIT_KEY]?: boolean;
  };
  const headers = checkAnswerHeaders(checked[CONTEXT_KEY], checked[SHARED_LIMIT_KEY] === true);
  void reply.code(204).header('cache-control', 'no-store').headers(headers);
  void reply.send();
}

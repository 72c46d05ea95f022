import type { ExceptionFilter } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../auth/request-context';
import { fastRouteHandler, type FastRouteGuard } from '../common/fast-route';
import { CONTEXT_KEY } from '../common/request-keys';
import type { MeViewDto } from './dto/workflows.dto';
import { MeController } from './me.controller';
import type { MeService } from './me.service';

/**
 * `GET /api/v1/me` answered by Fastify through the global guard and `MeService.describe`, without
 * Nest's router around them (`fastRouteHandler`): the call every client makes to learn who it
 * is, and on a warm token its answer is written once, so Nest's per-request machinery was most of
 * its CPU (docs/performance.md, issue 38). The handler takes only `@Ctx()`, which the global pipe
 * passes as it is, and answers 200 with the envelope, which is the route's own Fastify hook.
 *
 * The route is recognised by its handler's metadata, which Nest copies from `MeController.get`;
 * anything else answers through Nest. With tracing on it is not registered, so `/me` keeps the
 * Nest spans every other route has.
 */
export function registerMeFastPath(
  fastify: FastifyInstance,
  guard: FastRouteGuard,
  filter: ExceptionFilter,
  me: MeService,
): void {
  const method = MeController.prototype.get;
  const answer = (request: FastifyRequest, reply: FastifyReply): void | Promise<void> => {
    const ctx = (request as FastifyRequest & { [CONTEXT_KEY]: RequestContext })[CONTEXT_KEY];
    const view = me.describe(ctx);
    if (view instanceof Promise) return view.then((built) => send(reply, built));
    send(reply, view);
  };
  fastify.addHook('onRoute', (route) => {
    const handler = route.handler as object;
    if (route.url !== '/api/v1/me') return;
    if (!sameMetadata(handler, method, [METHOD_METADATA, PATH_METADATA])) return;
    route.handler = fastRouteHandler(MeController, method, guard, filter, answer);
  });
}

/** What Nest's response controller does with a GET's answer: 200, and the answer to Fastify. */
function send(reply: FastifyReply, view: MeViewDto): void {
  void reply.code(200).send(view);
}

function sameMetadata(a: object, b: object, keys: string[]): boolean {
  return keys.every((key) => {
    const value: unknown = Reflect.getMetadata(key, a);
    return value !== undefined && value === Reflect.getMetadata(key, b);
  });
}

import type { ExceptionFilter } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../auth/request-context';
import { fastRouteHandler, type FastRouteGuard } from '../../common/http/fast-route';
import { CONTEXT_KEY } from '../../common/http/request-keys';
import { settledJson } from '../../common/settled-answer';
import type { MeViewDto } from '../dto/workflows.dto';
import { MeController } from './me.controller';
import type { MeService } from '../me.service';

/**
 * `GET /api/v1/me` answered by Fastify through the global guard and `MeService.describe`, without
 * Nest's router around them (`fastRouteHandler`): the call every client makes to learn who it
 * is, and on a warm token its answer is written once, so Nest's per-request machinery was most of
 * its CPU (docs/performance.md). The handler takes only `@Ctx()`, which the global pipe
 * passes as it is, and answers 200 with the envelope, which is the route's own Fastify hook.
 *
 * The route is recognised by its handler's metadata, which Nest copies from `MeController.get`
 * (`copiedFrom`); anything else answers through Nest. With tracing on it is not registered, so
 * `/me` keeps the Nest spans every other route has.
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
    if (!copiedFrom(route.handler, method)) return;
    route.handler = fastRouteHandler(MeController, method, guard, filter, answer);
  });
}

/** The type Fastify gives the JSON it serializes, which a settled view's JSON goes out with too. */
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * What Nest's response controller does with a GET's answer: 200, and the answer to Fastify. A
 * settled view's JSON, written once, goes out as the envelope hook would send it, without the
 * hook's run for each request.
 */
function send(reply: FastifyReply, view: MeViewDto): void {
  const json = settledJson(view);
  if (json === undefined) return void reply.code(200).send(view);
  void reply.code(200).header('content-type', JSON_TYPE).send(json);
}

/**
 * Whether `handler` is the one Nest made for `method`: Nest copies each metadata value of the
 * method onto it, and some are objects of that method alone (its `design:paramtypes` array, its
 * Swagger operation), so the same references mean the same method, whatever its path.
 */
function copiedFrom(handler: object, method: object): boolean {
  const keys: unknown[] = Reflect.getMetadataKeys(method);
  let own = false;
  for (const key of keys) {
    const value: unknown = Reflect.getMetadata(key, method);
    if (Reflect.getMetadata(key, handler) !== value) return false;
    if (typeof value === 'object' && value !== null) own = true;
  }
  return own;
}

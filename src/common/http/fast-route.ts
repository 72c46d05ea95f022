import type { ExceptionFilter, ExecutionContext, Type } from '@nestjs/common';
import { ForbiddenException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** What Nest answers when a guard says false (its `FORBIDDEN_MESSAGE`); `RequestGuard` throws instead. */
const FORBIDDEN_MESSAGE = 'Forbidden resource';

/** The global guard as a fast route runs it: `RequestGuard`, which answers at once when it can. */
export interface FastRouteGuard {
  canActivate(context: ExecutionContext): boolean | Promise<boolean>;
}

/** Writes the route's answer on `reply`; a promise only when it must wait for something. */
export type FastRouteAnswer = (
  request: FastifyRequest,
  reply: FastifyReply,
) => void | Promise<void>;

/** Nothing when answered at once, so Fastify has no thenable to wait on; else the wait. */
export type FastRouteHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
) => void | Promise<FastifyReply>;

/**
 * A Fastify handler that does what Nest's router does for a route whose handler takes only the
 * request context (`@Ctx()`), without the router: its guard consumer, parameter pipes, response
 * controller and exception zone cost about as much CPU as the request's own work
 * (docs/performance.md). The global guard runs on an execution context naming the controller's
 * method, so the route's plan (closed by default) and rate limits read the same metadata, and
 * every refusal or failure goes through the same exception filter.
 *
 * A warm token is answered in the handler's own call: no promise, no microtask, and no closure
 * made for it. Only the handler is swapped, so the route's Fastify hooks (headers, request id,
 * metrics, log) still run.
 */
export function fastRouteHandler(
  controller: Type<unknown>,
  method: (...args: never[]) => unknown,
  guard: FastRouteGuard,
  filter: ExceptionFilter,
  answer: FastRouteAnswer,
): FastRouteHandler {
  const fail = (context: ExecutionContext, reply: FastifyReply, e: unknown): FastifyReply => {
    filter.catch(e, context);
    return reply;
  };
  const proceed = (
    context: ExecutionContext,
    request: FastifyRequest,
    reply: FastifyReply,
    allowed: boolean,
  ): void | Promise<FastifyReply> => {
    if (!allowed) return void fail(context, reply, new ForbiddenException(FORBIDDEN_MESSAGE));
    let answered: void | Promise<void>;
    try {
      answered = answer(request, reply);
    } catch (e) {
      return void fail(context, reply, e);
    }
    if (!answered) return undefined;
    const failed = (e: unknown) => fail(context, reply, e);
    return answered.then(() => reply, failed);
  };
  return (request, reply) => {
    const context = new ExecutionContextHost([request, reply, undefined], controller, method);
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = guard.canActivate(context);
    } catch (e) {
      return void fail(context, reply, e);
    }
    if (!(verdict instanceof Promise)) return proceed(context, request, reply, verdict);
    return verdict.then(
      (allowed) => proceed(context, request, reply, allowed) ?? reply,
      (e: unknown) => fail(context, reply, e),
    );
  };
}

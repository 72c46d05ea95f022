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

export type FastRouteHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
) => FastifyReply | Promise<FastifyReply>;

/**
 * A Fastify handler that does what Nest's router does for a route whose handler takes only the
 * request context (`@Ctx()`), without the router: its guard consumer, parameter pipes, response
 * controller and exception zone cost about as much CPU as the request's own work
 * (docs/performance.md). The global guard runs on an execution context naming the controller's
 * method, so the route's plan (closed by default) and rate limits read the same metadata, and
 * every refusal or failure goes through the same exception filter.
 *
 * A warm token is answered in the handler's own call: no promise, no microtask. Only the handler
 * is swapped, so the route's Fastify hooks (headers, request id, metrics, log) still run.
 */
export function fastRouteHandler(
  controller: Type<unknown>,
  method: (...args: never[]) => unknown,
  guard: FastRouteGuard,
  filter: ExceptionFilter,
  answer: FastRouteAnswer,
): FastRouteHandler {
  return (request, reply) => {
    const context = new ExecutionContextHost([request, reply, undefined], controller, method);
    const fail = (e: unknown) => {
      filter.catch(e, context);
      return reply;
    };
    const proceed = (allowed: boolean): FastifyReply | Promise<FastifyReply> => {
      if (!allowed) return fail(new ForbiddenException(FORBIDDEN_MESSAGE));
      let answered: void | Promise<void>;
      try {
        answered = answer(request, reply);
      } catch (e) {
        return fail(e);
      }
      return answered ? answered.then(() => reply, fail) : reply;
    };
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = guard.canActivate(context);
    } catch (e) {
      return fail(e);
    }
    return verdict instanceof Promise ? verdict.then(proceed, fail) : proceed(verdict);
  };
}

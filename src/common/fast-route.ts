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
 * request context (`@Ctx()`, which the global pipe passes as it is), without the router: the
 * global guard on an execution context naming the controller's method (so the route's plan,
 * closed by default, and the rate limits read the same metadata), then `answer`, and every
 * refusal or failure through the same exception filter. Nest's guard consumer, parameter pipes,
 * response controller and exception zone cost about as much CPU as the request's own work
 * (docs/performance.md, issue 38).
 *
 * Done in the handler's own call while the guard and `answer` are (a warm token): no promise and
 * no microtask; otherwise it follows the first that waits. Fastify's hooks are the route's own
 * (security headers, request id, metrics, usage, the request log, the envelope), since only the
 * handler is swapped.
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

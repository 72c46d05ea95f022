import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors/domain-error';
import { toErrorResponse } from '../errors/error-response';

/** Long enough for a load balancer to stop sending here; a retry lands on another instance. */
const RETRY_AFTER_S = 1;

/** Answers a request 503 while the server drains, and says whether it did. */
export type DrainRefusal = (request: FastifyRequest, reply: FastifyReply) => boolean;

/**
 * While the server drains (Fastify's close, see main.ts), a request that still arrives on an
 * open keep-alive connection, or pipelined behind one in flight, is answered 503 in the error
 * shape, `SERVICE_UNAVAILABLE`, with `Retry-After` and `Connection: close`, before any guard or
 * handler runs. Fastify's own `return503OnClosing` answers the same moment with a body of its own.
 *
 * The check is not a hook of its own: the security-headers hook, which every request runs first,
 * calls it, so a request pays one hook, not two, for something that happens only at shutdown.
 */
export function drainRefusal(fastify: FastifyInstance): DrainRefusal {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  return (request, reply) => {
    if (!closing) return false;
    const response = toErrorResponse(
      new ApiError('SERVICE_UNAVAILABLE', undefined, {
        'retry-after': String(RETRY_AFTER_S),
      }),
      request.id,
    );
    void reply
      .status(response.status)
      .headers({ ...response.headers, connection: 'close' })
      .send(response.body);
    return true;
  };
}

import type { FastifyInstance } from 'fastify';
import { Metrics, UNMATCHED_ROUTE } from './metrics';

/**
 * Times every answered request into the duration histogram, by route template (Fastify's
 * `routeOptions.url`, e.g. `/api/v1/tokens/:token_id`, never the raw URL, which would make a
 * series per token id) or `unmatched` for a 404 that matched no route, method and status.
 * A Fastify `onResponse` hook, not a Nest interceptor (see docs/architecture.md), and none at
 * all when metrics are off.
 */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  if (!metrics.enabled) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequest(
      request.routeOptions.url ?? UNMATCHED_ROUTE,
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}

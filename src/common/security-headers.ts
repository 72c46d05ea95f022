import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DrainRefusal } from './drain-refusal';

/**
 * The headers helmet sets for these options, computed once. Helmet (which @fastify/helmet wraps)
 * recomputes them on every request, parsing its CSP directives each time; with no nonces and no
 * per-request directives, the answer never changes.
 */
export function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let finished = false;
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error('helmet failed');
    finished = true;
  });
  // Helmet's middlewares are synchronous; anything else would mean headers computed per request.
  if (!finished) throw new Error('helmet did not finish synchronously');
  return Object.freeze(headers);
}

const API_HEADERS = helmetHeaders({
  contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
});

// Swagger UI needs its own scripts and styles: the strict policy is relaxed for /docs alone.
const DOCS_HEADERS = Object.freeze({
  ...API_HEADERS,
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
});

/**
 * Every answer's security headers and its `x-request-id`, in one hook, from objects built once.
 * The same hook asks `refused` whether the request is answered already (the drain's 503), so
 * that the answer carries these headers too and nothing after the hook runs.
 */
export function registerSecurityHeaders(fastify: FastifyInstance, refused: DrainRefusal): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply
      .headers(request.url.startsWith('/docs') ? DOCS_HEADERS : API_HEADERS)
      .header('x-request-id', request.id);
    if (!refused(request, reply)) done();
  });
}

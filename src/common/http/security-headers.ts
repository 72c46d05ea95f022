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
 * The admin console at /admin: a built single-page app that loads only its own files and calls
 * only this origin's API. Nothing inline, no eval, no framing, no forms posted anywhere: a token
 * pasted into it can be read by no script but the console's own.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'";

const CONSOLE_HEADERS = Object.freeze({ ...API_HEADERS, 'content-security-policy': CONSOLE_CSP });

/**
 * The gateway check (`/auth/verify` and below): its answers go to a gateway's subrequest, which no
 * browser renders (nginx passes on only what `auth_request_set` names), so they carry none of
 * helmet's browser headers: only the request id, and a 204's `X-Latchkey-*`.
 */
const GATEWAY_CHECK_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Whether the path is `prefix` itself or below it: `/docs` and `/docs/x`, never `/docsfoo`. */
function isUnder(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/');
}

/**
 * The headers for a request's URL. Prefixes are matched on whole path segments, so `/docsfoo`
 * or `/admin/../docs` never get Swagger UI's relaxed policy, nor `/auth/verifyx` the gateway
 * check's none; anything unknown gets the API's.
 */
export function headersFor(url: string): Readonly<Record<string, string>> {
  // Most requests are the API's: one comparison of a character settles them.
  if (url.charCodeAt(1) !== 0x64 /* d */ && url.charCodeAt(1) !== 0x61 /* a */) return API_HEADERS;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (isUnder(path, '/docs') || path === '/docs-json') return DOCS_HEADERS;
  if (isUnder(path, '/admin')) return CONSOLE_HEADERS;
  if (isUnder(path, '/auth/verify')) return GATEWAY_CHECK_HEADERS;
  return API_HEADERS;
}

/**
 * Every answer's security headers and its `x-request-id`, in one hook, from objects built once.
 * The same hook asks `refused` whether the request is answered already (the drain's 503), so
 * that the answer carries these headers too and nothing after the hook runs.
 */
export function registerSecurityHeaders(fastify: FastifyInstance, refused: DrainRefusal): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headersFor(request.url)).header('x-request-id', request.id);
    if (!refused(request, reply)) done();
  });
}

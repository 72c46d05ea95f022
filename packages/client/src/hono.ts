import type { Context, MiddlewareHandler } from 'hono';
import {
  checkPresented,
  isRefusal,
  type LatchkeyCheck,
  type LatchkeyOptions,
  type LatchkeyRefusal,
  type LatchkeyToken,
  rememberPresented,
  TokenCheck,
} from './middleware/token-check';
import {
  type ProtectedResourceOptions,
  resourceMetadataAnswer,
} from './middleware/protected-resource';
import { readWebBody } from './ssf/push-body';
import type { SsfReceiver } from './ssf/receiver';

export type {
  LatchkeyCheck,
  LatchkeyErrorBody,
  LatchkeyLogger,
  LatchkeyOptions,
  LatchkeyRefusal,
  LatchkeyToken,
  ProtectedResourceMetadata,
  ProtectedResourceOptions,
} from './middleware/token-check';
export { insufficientScope, LatchkeyMisconfiguredError } from './middleware/token-check';

/** The context variables the middleware sets: `c.get('latchkey')`. */
export interface LatchkeyEnv {
  Variables: { latchkey: LatchkeyToken };
}

export interface LatchkeyHonoOptions extends LatchkeyOptions {
  /**
   * The caller's address as your runtime knows it (on Node, `getConnInfo(c).remote.address` from
   * `@hono/node-server/conninfo`), for a token's `allowed_cidrs`; Hono has no portable one, so
   * without it none is sent.
   */
  clientAddress?: (c: Context) => string | undefined;
}

function refuse(c: Context, { status, headers, body }: LatchkeyRefusal): Response {
  return c.json(body, status, headers);
}

/** The middleware, and `check()`: to await once at start (throws a LatchkeyMisconfiguredError). */
export type LatchkeyMiddleware = MiddlewareHandler<LatchkeyEnv> & {
  check(): Promise<LatchkeyCheck>;
};

/**
 * Hono middleware: verifies the request's token with Latchkey, sets `c.var.latchkey`, and
 * answers 401, 403, 429, 500 (Latchkey refuses this app: a setting is wrong) or 503 itself; it
 * never passes a request it could not check.
 */
export function latchkey(options: LatchkeyHonoOptions): LatchkeyMiddleware {
  const { clientAddress: addressOf, ...rest } = options;
  const check = new TokenCheck(rest);
  const middleware: MiddlewareHandler<LatchkeyEnv> = async (c, next) => {
    const token = check.tokenIn(c.req.header(check.header));
    const from = { ip: addressOf?.(c) };
    const outcome = await check.check(token, from);
    if (isRefusal(outcome)) return refuse(c, outcome);
    c.set('latchkey', outcome);
    rememberPresented(c.req.raw, { check, token: token!, from });
    await next();
  };
  return Object.assign(middleware, { check: () => check.checkSetup() });
}

/** Per route, after `latchkey()`: the token must also allow every one of `scopes` (else 403). */
export function requireScopes(...scopes: string[]): MiddlewareHandler<LatchkeyEnv> {
  const needed = TokenCheck.checkScopes(scopes);
  return async (c, next) => {
    const outcome = await checkPresented(c.req.raw, needed);
    if (isRefusal(outcome)) return refuse(c, outcome);
    c.set('latchkey', outcome);
    await next();
  };
}

/** The metadata route, and the path it answers at (`handler.path`). */
export type ResourceMetadataHandler = MiddlewareHandler & { readonly path: string };

/**
 * Serves the app's RFC 9728 metadata at `/.well-known/oauth-protected-resource<resource path>`,
 * with no token (a client reads it before it has one): `app.use(latchkeyResourceMetadata(pr))`,
 * before `latchkey({ ..., protectedResource: pr })`. Any other request goes on to `next()`.
 */
export function latchkeyResourceMetadata(
  protectedResource: ProtectedResourceOptions,
): ResourceMetadataHandler {
  const answer = resourceMetadataAnswer(protectedResource);
  const handler: MiddlewareHandler = async (c, next) => {
    if (c.req.path === answer.path) {
      const method = c.req.method;
      if (method === 'OPTIONS') return c.body(null, 204, answer.preflightHeaders);
      if (method === 'GET' || method === 'HEAD') return c.body(answer.body, 200, answer.headers);
    }
    await next();
  };
  return Object.assign(handler, { path: answer.path });
}

/**
 * The route that takes Latchkey's Shared Signals pushes for `receiver`, so a revocation reaches
 * this app within moments: `app.post('/latchkey/events', latchkeyEvents(receiver))`, outside
 * `latchkey()` (Latchkey authenticates with the stream's credential, not a token).
 */
export function latchkeyEvents(receiver: SsfReceiver): (c: Context) => Promise<Response> {
  return async (c) => {
    const answer = await receiver.receive({
      body: await readWebBody(c.req.raw),
      contentType: c.req.header('content-type'),
      authorization: c.req.header('authorization'),
    });
    return answer.body === null ? c.body(null, answer.status) : c.json(answer.body, answer.status);
  };
}

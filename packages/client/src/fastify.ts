import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
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

export type {
  LatchkeyCheck,
  LatchkeyErrorBody,
  LatchkeyLogger,
  LatchkeyOptions,
  LatchkeyRefusal,
  LatchkeyToken,
} from './middleware/token-check';
export { LatchkeyMisconfiguredError } from './middleware/token-check';

declare module 'fastify' {
  interface FastifyInstance {
    /** `await app.latchkey.check()` once at start: throws a LatchkeyMisconfiguredError. */
    latchkey: { check(): Promise<LatchkeyCheck> };
  }
  interface FastifyRequest {
    /** The verified token, set by the plugin on every request it passes (null before it runs). */
    latchkey: LatchkeyToken | null;
  }
  interface FastifyContextConfig {
    /** `false`: this route is open, and the plugin checks no token for it. */
    latchkey?: false;
  }
}

function refuse(reply: FastifyReply, { status, headers, body }: LatchkeyRefusal): FastifyReply {
  return reply.code(status).headers(headers).send(body);
}

/**
 * Fastify plugin: an onRequest hook that verifies each request's token with Latchkey, sets
 * `request.latchkey`, and answers 401, 403, 429, 500 (Latchkey refuses this app: a setting is
 * wrong) or 503 itself; it never passes a request it could not check. It applies to the routes
 * of the context it is registered in (and their children); a route with
 * `config: { latchkey: false }` is left open.
 */
function latchkeyPlugin(
  fastify: FastifyInstance,
  options: LatchkeyOptions,
  done: (error?: Error) => void,
): void {
  const check = new TokenCheck(options);
  fastify.decorate('latchkey', { check: () => check.checkSetup() });
  fastify.decorateRequest('latchkey', null);
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config?.latchkey === false) return;
    const token = check.tokenIn(request.headers[check.header]);
    const outcome = await check.check(token, request);
    if (isRefusal(outcome)) return refuse(reply, outcome);
    request.latchkey = outcome;
    rememberPresented(request, { check, token: token!, from: request });
  });
  done();
}

// What fastify-plugin sets: the hook reaches the routes of the context that registers it.
Object.assign(latchkeyPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@latchkey/client',
});

export { latchkeyPlugin as latchkey };
export default latchkeyPlugin;

/** Per route, as its preHandler: the token must also allow every one of `scopes` (else 403). */
export function requireScopes(...scopes: string[]): preHandlerAsyncHookHandler {
  const needed = TokenCheck.checkScopes(scopes);
  return async function (request: FastifyRequest, reply: FastifyReply) {
    const outcome = await checkPresented(request, needed);
    if (isRefusal(outcome)) return refuse(reply, outcome);
    request.latchkey = outcome;
  };
}

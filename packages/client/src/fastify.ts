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
import {
  type ProtectedResourceOptions,
  resourceMetadataAnswer,
} from './middleware/protected-resource';
import type { SsfReceiver } from './ssf/receiver';
import { MAX_SET_BYTES } from './ssf/receiver';

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

/**
 * Serves the app's RFC 9728 metadata at `/.well-known/oauth-protected-resource<resource path>`:
 * `await app.register(latchkeyResourceMetadata, pr)`, with the plugin's `protectedResource: pr`.
 * Its routes are left open by `latchkey` (a client reads them before it has a token).
 */
export function latchkeyResourceMetadata(
  fastify: FastifyInstance,
  protectedResource: ProtectedResourceOptions,
  done: (error?: Error) => void,
): void {
  const answer = resourceMetadataAnswer(protectedResource);
  const open = { config: { latchkey: false as const } };
  fastify.get(answer.path, open, (_request, reply) =>
    reply.code(200).headers(answer.headers).send(answer.body),
  );
  fastify.options(answer.path, open, (_request, reply) =>
    reply.code(204).headers(answer.preflightHeaders).send(),
  );
  done();
}

export interface LatchkeyEventsOptions {
  receiver: SsfReceiver;
  /** Where Latchkey pushes (the stream's `endpoint_url` path). Default `/latchkey/events`. */
  path?: string;
}

/**
 * The route that takes Latchkey's Shared Signals pushes for `receiver`, so a revocation reaches
 * this app within moments: `await app.register(latchkeyEvents, { receiver })`. It reads
 * `application/secevent+jwt` bodies in its own context alone, and is left open by `latchkey`
 * (Latchkey authenticates with the stream's credential, not a token).
 */
export function latchkeyEvents(
  fastify: FastifyInstance,
  { receiver, path = '/latchkey/events' }: LatchkeyEventsOptions,
  done: (error?: Error) => void,
): void {
  fastify.addContentTypeParser(
    'application/secevent+jwt',
    { parseAs: 'string', bodyLimit: MAX_SET_BYTES },
    (_request, body, parsed) => parsed(null, body),
  );
  fastify.post(path, { config: { latchkey: false } }, async (request, reply) => {
    const answer = await receiver.receive({
      body: typeof request.body === 'string' ? request.body : null,
      contentType: request.headers['content-type'],
      authorization: request.headers.authorization,
    });
    return reply.code(answer.status).send(answer.body ?? '');
  });
  done();
}

import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ApiError } from '../errors/domain-error';
import { toErrorResponse } from '../errors/error-response';
import { CONSOLE_CSP } from './security-headers';

/** Where the console is served; its build is made with Vite's `base: '/admin/'`. */
export const CONSOLE_PATH = '/admin';

/** A year, for Vite's hashed asset names: a file never changes under its name. */
const ASSET_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

/** A file name with an extension (`app.css`, `favicon.svg`): what a route of the app never has. */
const HAS_EXTENSION = /\.[^/]*$/;

type Wildcard = FastifyRequest<{ Params: { '*': string } }>;

/**
 * Whether a path below /admin may name something of the console: no segment that climbs out or
 * is hidden (`..`, `.build-mark`), no empty one, no backslash, no NUL. Fastify hands the path
 * decoded, so `%2e%2e%2f` is checked as `../`; `send` refuses a climb out of its root as well.
 */
function isSafe(path: string): boolean {
  if (path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((segment) => segment !== '' && !segment.startsWith('.'));
}

function answerError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const response = toErrorResponse(err, request.id);
  // An index.html answer set its no-cache before the file turned out to be missing.
  reply.removeHeader('cache-control');
  return reply.status(response.status).headers(response.headers).send(response.body);
}

const notFound = () => new ApiError('NOT_FOUND', 'No such file in the admin console');

/**
 * The admin console, a Vite single-page app in `dir`, at /admin. Paths without a file extension
 * (the app's own routes) answer index.html with `no-cache`, so a new build is seen at once; the
 * hashed `/admin/assets/<file>` is cached a year, immutable; other files are `no-cache`. With no
 * build every path is 503 `CONSOLE_NOT_BUILT`, and the build is looked for on each request, so a
 * server started before `npm run build:console` serves it once built.
 *
 * Fastify routes outside Nest, as Swagger UI's are, so the global guard never sees them: they are
 * public, and the console authenticates with the token it sends to the API. Their content
 * security policy is their own (`security-headers.ts`).
 */
export function registerConsole(fastify: FastifyInstance, dir: string): void {
  const root = resolve(dir);
  const assets = join(root, 'assets');

  const isBuilt = () =>
    stat(join(root, 'index.html')).then(
      (s) => s.isFile(),
      () => false,
    );

  const sendIndex = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!(await isBuilt())) return answerError(request, reply, new ApiError('CONSOLE_NOT_BUILT'));
    return reply.header('cache-control', 'no-cache').sendFile('index.html', root, {
      cacheControl: false,
    });
  };

  const sendAsset = async (request: Wildcard, reply: FastifyReply) => {
    const file = request.params['*'];
    if (!isSafe(file)) return answerError(request, reply, notFound());
    if (!(await isBuilt())) return answerError(request, reply, new ApiError('CONSOLE_NOT_BUILT'));
    return reply.sendFile(file, assets, {
      cacheControl: true,
      maxAge: ASSET_MAX_AGE_MS,
      immutable: true,
    });
  };

  const sendPath = async (request: Wildcard, reply: FastifyReply) => {
    const path = request.params['*'];
    if (path === '') return sendIndex(request, reply);
    if (!isSafe(path)) return answerError(request, reply, notFound());
    if (!HAS_EXTENSION.test(path)) return sendIndex(request, reply);
    if (!(await isBuilt())) return answerError(request, reply, new ApiError('CONSOLE_NOT_BUILT'));
    return reply.header('cache-control', 'no-cache').sendFile(path, root, { cacheControl: false });
  };

  // An encapsulated scope: its 404 and error answers (a file that is not there, one `send`
  // refuses) are in the API's error shape without Nest, and `reply.sendFile` is decorated here
  // alone, so no other registration of @fastify/static can clash with it.
  void fastify.register(
    async (scope) => {
      // The security-headers hook picks the console's policy by the path as sent; a spelling it
      // does not know (`/%61dmin/`) still routes here, and gets the console's policy all the same.
      scope.addHook('onRequest', (_request, reply, done) => {
        reply.header('content-security-policy', CONSOLE_CSP);
        done();
      });
      await scope.register(fastifyStatic, { serve: false, dotfiles: 'ignore', index: false });
      scope.setNotFoundHandler((request, reply) => answerError(request, reply, notFound()));
      scope.setErrorHandler((error, request, reply) => answerError(request, reply, error));
      scope.get('/', sendIndex);
      scope.get('/assets/*', sendAsset);
      scope.get('/*', sendPath);
    },
    { prefix: CONSOLE_PATH },
  );
}

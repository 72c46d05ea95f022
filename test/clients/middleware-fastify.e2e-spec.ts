import Fastify, { type FastifyRequest } from 'fastify';
import { latchkey, requireScopes } from '../../packages/client/src/fastify';
import { httpGet, runMiddlewareCases, type StartApp } from './middleware-cases';
import { runSetupCases } from './middleware-setup-cases';

/**
 * A Fastify 5 app with the plugin registered, listening on 127.0.0.1, whose routes answer what
 * it set on `request`; the open routes are `config: { latchkey: false }`.
 */
const startFastifyApp: StartApp = async (options, reached) => {
  const app = Fastify();
  await app.register(latchkey, options);
  const echo = (route: string) => (request: FastifyRequest) => {
    reached.push(route);
    return Promise.resolve({ token: request.latchkey });
  };
  const open = { config: { latchkey: false as const } };
  const orders = requireScopes('orders:read');
  app.get('/whoami', echo('whoami'));
  app.get('/orders', { preHandler: orders }, echo('orders'));
  app.get('/open', open, echo('open'));
  app.get('/open-orders', { ...open, preHandler: orders }, echo('open-orders'));
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    get: (path, headers) => httpGet(origin, path, headers),
    check: () => app.latchkey.check(),
    close: () => app.close(),
  };
};

describe('@latchkey/client/fastify in a Fastify 5 app', () => {
  runMiddlewareCases(startFastifyApp);
  describe('set up against a Latchkey that requires a gateway secret', () => {
    runSetupCases(startFastifyApp);
  });
});

import { type Context, Hono } from 'hono';
import {
  latchkey,
  type LatchkeyEnv,
  type LatchkeyToken,
  requireScopes,
} from '../../packages/client/src/hono';
import { type Answer, runMiddlewareCases, type StartApp } from './middleware-cases';
import { runSetupCases } from './middleware-setup-cases';

/**
 * A Hono 4 app, called through `app.request` (a fetch handler: no socket), whose routes answer
 * `c.get('latchkey')`; the open routes come before the middleware.
 */
const startHonoApp: StartApp = (options, reached) => {
  const app = new Hono<LatchkeyEnv>();
  const echo = (route: string) => (c: Context<LatchkeyEnv>) => {
    reached.push(route);
    // Unset on the open routes, whatever the Env type says.
    return c.json({ token: (c.var.latchkey as LatchkeyToken | undefined) ?? null });
  };
  const orders = requireScopes('orders:read');
  app.get('/open', echo('open'));
  app.get('/open-orders', orders, echo('open-orders'));
  const guard = latchkey(options);
  app.use(guard);
  app.get('/whoami', echo('whoami'));
  app.get('/orders', orders, echo('orders'));
  const get = async (path: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await app.request(path, { headers });
    const text = await res.text();
    return {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: text === '' ? null : JSON.parse(text),
    };
  };
  return Promise.resolve({ get, check: guard.check, close: () => Promise.resolve() });
};

describe('@latchkey/client/hono in a Hono 4 app', () => {
  runMiddlewareCases(startHonoApp);
  describe('set up against a Latchkey that requires a gateway secret', () => {
    runSetupCases(startHonoApp);
  });
});

import express, { type Request, type Response } from 'express';
import { latchkey, requireScopes } from '../../packages/client/src/express';
import { httpGet, runMiddlewareCases, serve, type StartApp } from './middleware-cases';
import { runSetupCases } from './middleware-setup-cases';

/** An Express 5 app, listening on 127.0.0.1, whose routes answer what `latchkey()` set on `req`. */
const startExpressApp: StartApp = async (options, reached) => {
  const app = express();
  const echo = (route: string) => (req: Request, res: Response) => {
    reached.push(route);
    res.json({ token: req.latchkey ?? null });
  };
  app.get('/open', echo('open'));
  app.get('/open-orders', requireScopes('orders:read'), echo('open-orders'));
  const guard = latchkey(options);
  app.use(guard);
  app.get('/whoami', echo('whoami'));
  app.get('/orders', requireScopes('orders:read'), echo('orders'));
  const { origin, close } = await serve(app);
  return { get: (path, headers) => httpGet(origin, path, headers), check: guard.check, close };
};

describe('@latchkey/client/express in an Express 5 app', () => {
  runMiddlewareCases(startExpressApp);
  describe('set up against a Latchkey that requires a gateway secret', () => {
    runSetupCases(startExpressApp);
  });
});

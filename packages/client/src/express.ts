import type { NextFunction, Request, RequestHandler, Response } from 'express';
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
import { readNodeBody } from './ssf/push-body';
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

/** The middleware, and `check()`: to await once at start (throws a LatchkeyMisconfiguredError). */
export type LatchkeyMiddleware = RequestHandler & { check(): Promise<LatchkeyCheck> };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified token, set by `latchkey()` on every request it passes. */
      latchkey?: LatchkeyToken;
    }
  }
}

function refuse(res: Response, { status, headers, body }: LatchkeyRefusal): void {
  res.status(status).set(headers).json(body);
}

/**
 * Express middleware: verifies the request's token with Latchkey (from memory once it knows the
 * token), sets `req.latchkey`, and answers 401, 403, 429, 500 (Latchkey refuses this app: a
 * setting is wrong) or 503 itself; it never passes a request it could not check.
 */
export function latchkey(options: LatchkeyOptions): LatchkeyMiddleware {
  const check = new TokenCheck(options);
  const pass = (
    req: Request,
    res: Response,
    next: NextFunction,
    token: string | null,
    outcome: LatchkeyToken | LatchkeyRefusal,
  ): void => {
    if (isRefusal(outcome)) return refuse(res, outcome);
    req.latchkey = outcome;
    rememberPresented(req, { check, token: token!, from: req });
    next();
  };
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const token = check.tokenIn(req.headers[check.header]);
    const outcome = check.check(token, req);
    // From memory the answer is at hand: no promise and no closure on the hot path.
    if (!(outcome instanceof Promise)) return pass(req, res, next, token, outcome);
    outcome.then((answer) => pass(req, res, next, token, answer)).catch(next);
  };
  return Object.assign(middleware, { check: () => check.checkSetup() });
}

/** Per route, after `latchkey()`: the token must also allow every one of `scopes` (else 403). */
export function requireScopes(...scopes: string[]): RequestHandler {
  const needed = TokenCheck.checkScopes(scopes);
  return (req: Request, res: Response, next: NextFunction): void => {
    const pass = (outcome: LatchkeyToken | LatchkeyRefusal): void => {
      if (isRefusal(outcome)) return refuse(res, outcome);
      req.latchkey = outcome;
      next();
    };
    const outcome = checkPresented(req, needed);
    if (outcome instanceof Promise) outcome.then(pass).catch(next);
    else pass(outcome);
  };
}

/** The metadata route, and the path it answers at (`handler.path`). */
export type ResourceMetadataHandler = RequestHandler & { readonly path: string };

/**
 * Serves the app's RFC 9728 metadata at `/.well-known/oauth-protected-resource<resource path>`,
 * with no token (a client reads it before it has one): `app.use(latchkeyResourceMetadata(pr))`,
 * before `latchkey({ ..., protectedResource: pr })`. Any other request goes on to `next()`.
 */
export function latchkeyResourceMetadata(
  protectedResource: ProtectedResourceOptions,
): ResourceMetadataHandler {
  const answer = resourceMetadataAnswer(protectedResource);
  const handler = (req: Request, res: Response, next: NextFunction): void => {
    // The whole path, wherever the handler is mounted: the well-known URL is at the origin's root.
    const url = req.originalUrl;
    const query = url.indexOf('?');
    if ((query < 0 ? url : url.slice(0, query)) !== answer.path) return next();
    if (req.method === 'OPTIONS') return void res.status(204).set(answer.preflightHeaders).end();
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.status(200).set(answer.headers).send(answer.body);
  };
  return Object.assign(handler, { path: answer.path });
}

/**
 * The route that takes Latchkey's Shared Signals pushes for `receiver`, so a revocation reaches
 * this app within moments: `app.post('/latchkey/events', latchkeyEvents(receiver))`, outside
 * `latchkey()` (Latchkey authenticates with the stream's credential, not a token). Reads the raw
 * body itself, or the one `express.text({ type: 'application/secevent+jwt' })` left.
 */
export function latchkeyEvents(receiver: SsfReceiver): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const parsed: unknown = req.body;
    const body =
      typeof parsed === 'string' || parsed instanceof Uint8Array
        ? Promise.resolve(parsed)
        : readNodeBody(req);
    body
      .then((raw) =>
        receiver.receive({
          body: raw,
          contentType: req.headers['content-type'],
          authorization: req.headers.authorization,
        }),
      )
      .then((answer) => {
        res.status(answer.status);
        if (answer.body === null) res.end();
        else res.json(answer.body);
      })
      .catch(next);
  };
}

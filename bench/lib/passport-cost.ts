import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import passport from 'passport';
import { Strategy } from 'passport-http-bearer';
import { performance } from 'node:perf_hooks';
import { bearerTokenOf } from '../../src/auth/bearer-auth.guard';

const USER = Object.freeze({ id: 'bench' });
const SECRET = `lk_${'a'.repeat(36)}`;

const guard = new (AuthGuard('bearer-bench'))();

/** `AuthGuard('bearer')` as Nest runs it per request, around the verifier. */
function viaPassport(req: Record<string, unknown>): Promise<unknown> {
  const context = {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}) }),
  } as unknown as ExecutionContext;
  return guard.canActivate(context) as Promise<boolean>;
}

/** What the lean global guard does instead: parse the header, then the same verifier call. */
function lean(req: { headers: { authorization?: string } }): Promise<unknown> {
  const secret = bearerTokenOf(req.headers.authorization);
  return secret === null ? Promise.reject(new Error('no token')) : Promise.resolve(USER);
}

async function microsPerCall(
  fn: (req: { headers: { authorization: string } }) => Promise<unknown>,
  calls: number,
): Promise<number> {
  const request = () => ({ headers: { authorization: `Bearer ${SECRET}` } });
  for (let i = 0; i < calls / 10; i++) await fn(request()); // warm-up
  const started = performance.now();
  for (let i = 0; i < calls; i++) await fn(request());
  return ((performance.now() - started) * 1000) / calls;
}

/**
 * Passport's own cost per request: `AuthGuard` running the bearer strategy through
 * passport.authenticate (with a verify callback that answers at once, so the verifier is not in
 * it) against the lean guard's header parse, both promised, on a fresh request object each call,
 * in this process. Answers microseconds per call of each.
 */
export async function passportCost(calls = 200_000): Promise<{ passport: number; lean: number }> {
  passport.use(
    'bearer-bench',
    new Strategy(
      { passReqToCallback: true },
      (_req: unknown, _token: string, done: (err: null, user: object) => void) => done(null, USER),
    ),
  );
  // Alternated, best of three, so drift in the machine hits both alike.
  const runs = { passport: [] as number[], lean: [] as number[] };
  for (let i = 0; i < 3; i++) {
    runs.passport.push(await microsPerCall(viaPassport, calls));
    runs.lean.push(await microsPerCall(lean, calls));
  }
  return { passport: Math.min(...runs.passport), lean: Math.min(...runs.lean) };
}

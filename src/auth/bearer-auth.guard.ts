import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { VerifiedPrincipal } from '../tokens/token-verifier';
import { AuthError } from './auth-error';
import { CONTEXT_KEY, IS_PUBLIC } from './decorators';
import { originOf, RequestContext } from './request-context';

type LatchkeyRequest = FastifyRequest & { [CONTEXT_KEY]?: RequestContext };

/**
 * The global guard: every route needs a valid bearer token unless it is `@Public()`. On
 * success it puts the request context on the request.
 */
@Injectable()
export class BearerAuthGuard extends AuthGuard('bearer') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<LatchkeyRequest>();
    const principal = this.principalOf(context);
    request[CONTEXT_KEY] = new RequestContext(
      originOf(request),
      principal.actor,
      principal.token,
      null,
      principal.role,
    );
    return true;
  }

  /**
   * Passport's bearer strategy also reads `access_token` from the body and the query string.
   * Tokens must come from the Authorization header only, so passport sees just that header.
   */
  override getRequest(context: ExecutionContext): Record<string, unknown> {
    const request = context.switchToHttp().getRequest<LatchkeyRequest>();
    const view: Record<string, unknown> = {
      headers: { authorization: request.headers.authorization },
      origin: originOf(request),
    };
    (request as unknown as { passportView: unknown }).passportView = view;
    return view;
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err instanceof Error) throw err;
    if (!user) throw AuthError.bearer('INVALID_TOKEN', 'Missing or malformed bearer token');
    return user;
  }

  private principalOf(context: ExecutionContext): VerifiedPrincipal {
    const request = context
      .switchToHttp()
      .getRequest<{ passportView: { user: VerifiedPrincipal } }>();
    return request.passportView.user;
  }
}

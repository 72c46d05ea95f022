import {
  type CanActivate,
  Controller,
  createParamDecorator,
  type DynamicModule,
  type ExecutionContext,
  Get,
  HttpCode,
  HttpException,
  Inject,
  Injectable,
  Logger,
  Module,
  Options,
  Res,
  SetMetadata,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import {
  isRefusal,
  type LatchkeyCheck,
  type LatchkeyOptions,
  type LatchkeyToken,
  TokenCheck,
} from './middleware/token-check';
import {
  type ProtectedResourceOptions,
  resourceMetadataAnswer,
} from './middleware/protected-resource';

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

/** The injection token of the module's `TokenCheck` (its verifier is `check.verifier`). */
export const LATCHKEY_CHECK = Symbol('LATCHKEY_CHECK');
const SCOPES = 'latchkey:scopes';
const OPEN = 'latchkey:open';

/** On a handler or controller: the token must also allow every one of `scopes` (else 403). */
export const RequireScopes = (...scopes: string[]) =>
  SetMetadata(SCOPES, TokenCheck.checkScopes(scopes));

/** On a handler or controller the guard leaves open: no token is read or checked. */
export const LatchkeyPublic = () => SetMetadata(OPEN, true);

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
  latchkey?: LatchkeyToken;
}

/** Express's response and Fastify's reply alike: both take header(name, value). */
interface HttpReply {
  header(name: string, value: string): unknown;
}

/** The verified token of the request, as the guard set it (a handler parameter decorator). */
export const VerifiedToken = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): LatchkeyToken | undefined =>
    ctx.switchToHttp().getRequest<HttpRequest>().latchkey,
);

/**
 * Verifies each request's token with Latchkey, on Express or Fastify alike, and sets
 * `request.latchkey`; a refusal is an HttpException with Latchkey's status, body and headers
 * (500 when Latchkey refuses this app itself). It never passes a request it could not check.
 */
@Injectable()
export class LatchkeyGuard implements CanActivate {
  constructor(
    @Inject(LATCHKEY_CHECK) private readonly tokens: TokenCheck,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  /**
   * `await app.get(LatchkeyGuard).check()` once at start: whether Latchkey takes this app's
   * checks. Throws a LatchkeyMisconfiguredError naming the setting to fix.
   */
  check(): Promise<LatchkeyCheck> {
    return this.tokens.checkSetup();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const scopes = this.reflector.getAllAndMerge<string[]>(SCOPES, targets);
    // A handler that names scopes is guarded even in a @LatchkeyPublic() controller.
    if (scopes.length === 0 && this.reflector.getAllAndOverride<boolean>(OPEN, targets)) {
      return true;
    }
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const token = this.tokens.tokenIn(request.headers[this.tokens.header]);
    const outcome = await this.tokens.check(token, request, scopes);
    if (!isRefusal(outcome)) {
      request.latchkey = outcome;
      return true;
    }
    const response = http.getResponse<HttpReply>();
    for (const [name, value] of Object.entries(outcome.headers)) response.header(name, value);
    throw new HttpException(outcome.body, outcome.status);
  }
}

/**
 * The controller that serves the app's RFC 9728 metadata at
 * `/.well-known/oauth-protected-resource<resource path>`, open to a caller with no token. Made
 * per resource: a route's path is a decorator's, fixed when its class is.
 */
export function resourceMetadataController(protectedResource: ProtectedResourceOptions): Type {
  const answer = resourceMetadataAnswer(protectedResource);

  @Controller()
  @LatchkeyPublic()
  class LatchkeyResourceMetadataController {
    @Get(answer.path)
    metadata(@Res({ passthrough: true }) reply: HttpReply): string {
      for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
      return answer.body;
    }

    @Options(answer.path)
    @HttpCode(204)
    preflight(@Res({ passthrough: true }) reply: HttpReply): void {
      for (const [name, value] of Object.entries(answer.preflightHeaders))
        reply.header(name, value);
    }
  }
  return LatchkeyResourceMetadataController;
}

/**
 * `LatchkeyModule.forRoot({ baseUrl })` in the app's imports guards every route (an APP_GUARD),
 * but those marked `@LatchkeyPublic()`; `{ global: false }` provides the guard without applying
 * it, for `@UseGuards(LatchkeyGuard)` where wanted. With `protectedResource`, it also serves the
 * resource's metadata (`resourceMetadataController`), outside any global prefix you exclude.
 */
@Module({})
export class LatchkeyModule {
  static forRoot(options: LatchkeyOptions & { global?: boolean }): DynamicModule {
    const { global = true, ...check } = options;
    const logger = check.logger ?? new Logger('Latchkey');
    const providers = [
      { provide: LATCHKEY_CHECK, useValue: new TokenCheck({ ...check, logger }) },
      LatchkeyGuard,
      ...(global ? [{ provide: APP_GUARD, useExisting: LatchkeyGuard }] : []),
    ];
    const { protectedResource } = check;
    return {
      module: LatchkeyModule,
      global: true,
      controllers: protectedResource ? [resourceMetadataController(protectedResource)] : [],
      providers,
      exports: [LATCHKEY_CHECK, LatchkeyGuard],
    };
  }
}

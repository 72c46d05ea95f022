import {
  ArgumentsHost,
  Body,
  Catch,
  Controller,
  ExceptionFilter,
  Header,
  HttpCode,
  Post,
  Req,
  UseFilters,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GrantEnds } from '../../authorization/grants/grant-ends.service';
import { isRefreshToken } from '../../authorization/grants/refresh-tokens';
import { BearerAuth, Ctx, Public, RequireScope, RetiringAllowed } from '../../auth/decorators';
import { originOf, RequestContext } from '../../auth/request-context';
import { RequestValidationError } from '../../common/errors/domain-error';
import { ApiErrors, RawResponse } from '../../common/http/envelope';
import { OAuthRateLimit } from '../../throttle/rate-limit.decorators';
import { TokenQueriesService } from '../../tokens/lifecycle/token-queries.service';
import { TokenRevocationService } from '../../tokens/lifecycle/revocation/token-revocation.service';

/** An RFC 6749 §5.2 error: answered as `{error, error_description}`, not in the envelope. */
export class OAuthRequestError extends Error {
  constructor(readonly description: string) {
    super(description);
  }
}

/** RFC 6749 §5.2's shape for a bad request, a body that failed validation (ill-formed text) included. */
@Catch(OAuthRequestError, RequestValidationError)
class OAuthErrorFilter implements ExceptionFilter {
  catch(error: OAuthRequestError | RequestValidationError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const description =
      error instanceof OAuthRequestError
        ? error.description
        : 'Parameters must be well-formed Unicode text without U+0000';
    void reply
      .status(400)
      .header('cache-control', 'no-store')
      .send({ error: 'invalid_request', error_description: description });
  }
}

/**
 * The `token` parameter of a form-encoded or JSON body (RFC 7009 §2.1, RFC 7662 §2.1). A parameter
 * given more than once is invalid_request (RFC 6749 §3.1): the form parser makes it a list, and
 * which of its values to act on would be a guess. The hint is otherwise ignored.
 */
function tokenParam(body: unknown): string {
  const params = body as { token?: unknown; token_type_hint?: unknown } | null | undefined;
  if (Array.isArray(params?.token_type_hint)) {
    throw new OAuthRequestError('The token_type_hint parameter is given more than once');
  }
  const token = params?.token;
  if (typeof token !== 'string' || token.length === 0) {
    throw new OAuthRequestError('The token parameter is required');
  }
  return token;
}

/** RFC 6749 §5.2's error answer, which the RFC 7009 and 7662 endpoints give for a bad request. */
const OAUTH_ERROR = {
  status: 400,
  description: 'The token parameter is missing, or not well-formed text',
  schema: {
    type: 'object',
    required: ['error'],
    properties: {
      error: { type: 'string', enum: ['invalid_request'] },
      error_description: { type: 'string', example: 'The token parameter is required' },
    },
  },
};

const ORIGIN_BODY = {
  schema: {
    type: 'object',
    required: ['token'],
    properties: {
      token: { type: 'string', example: 'lk_…' },
      token_type_hint: {
        type: 'string',
        nullable: true,
        example: 'access_token',
        description:
          'Accepted and ignored, whatever its value (null too), as RFC 7009 allows; given twice, 400',
      },
    },
  },
};

@ApiTags('oauth2')
@RawResponse()
@UseFilters(OAuthErrorFilter)
@Controller('oauth2')
export class OAuth2Controller {
  constructor(
    private readonly revocation: TokenRevocationService,
    private readonly queries: TokenQueriesService,
    private readonly grantEnds: GrantEnds,
  ) {}

  @Post('revoke')
  @Public()
  @OAuthRateLimit()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'revokeOAuthToken',
    summary: 'RFC 7009 token revocation: possession is the proof',
    description:
      'Form-encoded or JSON. Answers 200 whether or not the token existed, so the answer never ' +
      'confirms a token. A refresh token of a connected app (lkr_…) ends its grant: the access ' +
      'tokens it gave are revoked with it (RFC 7009 §2.1).',
  })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiBody(ORIGIN_BODY)
  @ApiResponse({ status: 200, description: 'Revoked, or nothing to revoke' })
  @ApiResponse(OAUTH_ERROR)
  async revoke(@Body() body: unknown, @Req() request: FastifyRequest): Promise<void> {
    const token = tokenParam(body);
    if (isRefreshToken(token)) return this.grantEnds.revokePresented(originOf(request), token);
    await this.revocation.revokePresented(originOf(request), token);
  }

  @Post('introspect')
  @RetiringAllowed()
  @OAuthRateLimit()
  @HttpCode(200)
  @RequireScope('introspect')
  @BearerAuth()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'introspectToken',
    summary: 'RFC 7662 token introspection (needs the introspect scope)',
    description:
      'A token that is unknown, revoked, expired, or of another business is only {"active": false}.',
  })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiBody(ORIGIN_BODY)
  @ApiResponse({
    status: 200,
    schema: {
      type: 'object',
      required: ['active'],
      properties: {
        active: { type: 'boolean' },
        scope: { type: 'string', nullable: true },
        sub: { type: 'string' },
        business_id: { type: 'string', nullable: true },
        exp: { type: 'integer', nullable: true },
        iat: { type: 'integer' },
        jti: { type: 'string' },
        token_type: { type: 'string', enum: ['Bearer', 'DPoP'], example: 'Bearer' },
        cnf: {
          type: 'object',
          properties: { jkt: { type: 'string' } },
          description: 'For a token bound to a key (RFC 9449): the key’s JWK SHA-256 thumbprint',
        },
        aud: {
          type: 'array',
          items: { type: 'string' },
          description: 'For a token bound to audiences (RFC 8707): the resources it is for',
        },
        meta: {
          type: 'object',
          nullable: true,
          additionalProperties: true,
          description: "The token's own data (its meta); null: none",
        },
        uses_remaining: {
          type: 'integer',
          nullable: true,
          example: 997,
          description: 'The uses it has left (asking spends none); null: no limit of uses',
        },
      },
    },
  })
  @ApiResponse(OAUTH_ERROR)
  @ApiErrors({
    401: ['INVALID_TOKEN', 'TOKEN_EXPIRED', 'TOKEN_REVOKED', 'TOKEN_DISABLED'],
    403: ['INSUFFICIENT_SCOPE'],
  })
  introspect(@Ctx() ctx: RequestContext, @Body() body: unknown) {
    return this.queries.introspect(ctx.token, tokenParam(body));
  }
}

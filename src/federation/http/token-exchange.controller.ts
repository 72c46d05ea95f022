import { Body, Controller, Header, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DpopProofs } from '../../auth/guards/dpop-proofs';
import { Public } from '../../auth/decorators';
import { originOf } from '../../auth/request-context';
import { ApiErrors, RawResponse } from '../../common/http/envelope';
import { OAuthRateLimit } from '../../throttle/rate-limit.decorators';
import {
  ACCESS_TOKEN_TYPE,
  BUSINESS_URN_PREFIX,
  JWT_TOKEN_TYPE,
  readExchangeParams,
  TOKEN_EXCHANGE_GRANT,
} from '../exchange/exchange-params';
import { OAUTH_TOKEN_ERROR, TokenEndpointErrorFilter } from '../../common/errors/oauth-error';
import { TokenExchangeService } from '../exchange/token-exchange.service';

const EXAMPLE_BUSINESS = '7d3f0c2e-5b1a-4c8e-9f6d-2a4b6c8e0f13';

const EXCHANGE_BODY = {
  schema: {
    type: 'object',
    required: ['grant_type', 'subject_token', 'subject_token_type'],
    properties: {
      grant_type: { type: 'string', enum: [TOKEN_EXCHANGE_GRANT], example: TOKEN_EXCHANGE_GRANT },
      subject_token: {
        type: 'string',
        description: "The workload's OIDC token (a JWT), as its CI or cluster issued it",
        example:
          'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIn0.c2ln',
      },
      subject_token_type: { type: 'string', enum: [JWT_TOKEN_TYPE], example: JWT_TOKEN_TYPE },
      scope: {
        type: 'string',
        description: "Space-separated; within the trust rule's scopes. Omitted: the rule's",
        example: 'deploy:write',
      },
      resource: {
        type: 'string',
        description:
          'RFC 8707, and may be repeated: the business as urn:latchkey:business:<id> (when ' +
          'x-business-id is not sent), and each http(s) URI of an API the token is for (its ' +
          'audiences, at most 5: elsewhere it is refused)',
        example: `${BUSINESS_URN_PREFIX}${EXAMPLE_BUSINESS}`,
      },
      audience: {
        type: 'string',
        description: 'Optional; when given, the same business as resource or x-business-id',
        example: `${BUSINESS_URN_PREFIX}${EXAMPLE_BUSINESS}`,
      },
      requested_token_type: { type: 'string', enum: [ACCESS_TOKEN_TYPE] },
    },
  },
};

/** The token endpoint: RFC 8693 token exchange for workloads that hold an OIDC token. */
@ApiTags('oauth2')
@RawResponse()
@UseFilters(TokenEndpointErrorFilter)
@Controller('oauth2')
export class TokenExchangeController {
  constructor(
    private readonly exchanges: TokenExchangeService,
    private readonly proofs: DpopProofs,
  ) {}

  @Post('token')
  @Public()
  @OAuthRateLimit()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    operationId: 'createTokenByExchange',
    summary: "RFC 8693 token exchange: a workload's OIDC token for a Latchkey token",
    description:
      'Form-encoded, as RFC 8693 says (JSON is read too). The JWT must match a trust rule of the ' +
      'business (`POST /api/v1/machine-identities/{identity_id}/trust-rules`) and verify with its ' +
      'keys (RS256, PS256, ES256 or EdDSA); each JWT is accepted once. The answer is an ordinary ' +
      "token of the rule's machine identity, with origin federation, which makes no token. Rate " +
      'limited per client IP, per issuer and per machine identity. See docs/federation.md.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiHeader({
    name: 'DPoP',
    required: false,
    description:
      'A DPoP proof (RFC 9449 §5) for POST of this URL: the token is bound to its key ' +
      '(token_type DPoP). Required by a trust rule with require_dpop, or a business policy ' +
      'that binds the machine’s tokens',
  })
  @ApiHeader({
    name: 'x-business-id',
    required: false,
    description: 'The business; or name it with resource',
    example: EXAMPLE_BUSINESS,
  })
  @ApiBody(EXCHANGE_BODY)
  @ApiResponse({
    status: 200,
    description: 'RFC 8693 §2.2.1',
    schema: {
      type: 'object',
      required: ['access_token', 'issued_token_type', 'token_type', 'expires_in', 'scope'],
      properties: {
        access_token: { type: 'string', example: 'lk_3xAmpLeRandomPart0123456789abQ1w2E3' },
        issued_token_type: { type: 'string', enum: [ACCESS_TOKEN_TYPE] },
        token_type: {
          type: 'string',
          enum: ['Bearer', 'DPoP'],
          description: 'DPoP when the request carried a proof: the token is bound to its key',
        },
        expires_in: { type: 'integer', example: 900 },
        scope: { type: 'string', example: 'deploy:write' },
      },
    },
  })
  @ApiResponse(OAUTH_TOKEN_ERROR)
  @ApiErrors({ 409: ['TOKEN_LIMIT_REACHED'] })
  async exchange(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const params = readExchangeParams(body, request.headers['x-business-id']);
    const dpopJkt = await this.proofs.tokenEndpointKey(request, reply);
    return this.exchanges.exchange(originOf(request), params, dpopJkt);
  }
}

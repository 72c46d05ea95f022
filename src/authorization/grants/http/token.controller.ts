import {
  Body,
  Controller,
  Header,
  HttpCode,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../../auth/decorators';
import { DpopProofs } from '../../../auth/guards/dpop-proofs';
import { originOf } from '../../../auth/request-context';
import { OAUTH_TOKEN_ERROR, TokenEndpointErrorFilter } from '../../../common/errors/oauth-error';
import { RawResponse } from '../../../common/http/envelope';
import { uuidPipe } from '../../../common/validation/validation.pipe';
import { OAuthRateLimit } from '../../../throttle/rate-limit.decorators';
import { ISSUER_PATH } from '../../issuer';
import { GrantTokenResponseDto } from '../dto/token-response.dto';
import { GrantsService } from '../grants.service';
import { AUTHORIZATION_CODE_GRANT, readTokenRequest } from '../token-request-params';

const TOKEN_BODY = {
  schema: {
    type: 'object',
    required: ['grant_type', 'client_id'],
    properties: {
      grant_type: { type: 'string', enum: ['authorization_code', 'refresh_token'] },
      client_id: { type: 'string', example: 'https://agent.example/oauth/client.json' },
      code: { type: 'string', description: 'authorization_code: the code of the redirect' },
      redirect_uri: { type: 'string', description: 'authorization_code: as in the request' },
      code_verifier: { type: 'string', description: 'authorization_code: the PKCE verifier' },
      resource: {
        type: 'string',
        example: 'https://mcp.example.com/mcp',
        description: 'authorization_code: required, the resource of the request (RFC 8707)',
      },
      refresh_token: { type: 'string', description: 'refresh_token: used once' },
      scope: { type: 'string', description: 'refresh_token: narrower scopes, space-separated' },
    },
  },
};

/**
 * A business's token endpoint for its connected apps (RFC 6749 §3.2): the authorization code
 * grant and the refresh token grant, form-encoded, for public clients. A DPoP proof binds the
 * grant's tokens to its key (RFC 9449 §5); the business's policy may require one.
 */
@ApiTags('oauth2')
@RawResponse()
@UseFilters(TokenEndpointErrorFilter)
@Controller(ISSUER_PATH)
export class GrantTokenController {
  constructor(
    private readonly grants: GrantsService,
    private readonly proofs: DpopProofs,
  ) {}

  @Post(':business_id/token')
  @Public()
  @OAuthRateLimit()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    operationId: 'createTokenByGrant',
    summary: 'Token endpoint: an authorization code, or a refresh token, for an access token',
    description:
      'RFC 6749 §4.1.3 and §6, form-encoded (JSON is read too), for public clients ' +
      '(client_id, no secret). The code is redeemed once, within 60 s, by the client it was ' +
      'issued to, at its redirect URI, for its resource, with the PKCE verifier; a second use ' +
      'revokes what the first gave. A refresh token is used once; a second use ends the grant ' +
      'and revokes its tokens. The access token is a Latchkey token of the person who consented, ' +
      'for the resource alone (its audience), with the consented scopes within their role.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody(TOKEN_BODY)
  @ApiResponse({ status: 200, type: GrantTokenResponseDto })
  @ApiResponse(OAUTH_TOKEN_ERROR)
  async token(
    @Param('business_id', uuidPipe('business_id')) businessId: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<GrantTokenResponseDto> {
    const params = readTokenRequest(body);
    const dpopJkt = await this.proofs.tokenEndpointKey(request, reply);
    const origin = originOf(request);
    if (params.grantType === AUTHORIZATION_CODE_GRANT) {
      return this.grants.exchangeCode(origin, businessId, { ...params, dpopJkt });
    }
    return this.grants.refresh(origin, businessId, { ...params, dpopJkt });
  }
}

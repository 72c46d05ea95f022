import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../../auth/decorators';
import { RawResponse } from '../../../common/http/envelope';
import { OAuthRateLimit } from '../../../throttle/rate-limit.decorators';
import type { AuthorizationRequestParams } from '../../codes/dto/authorization-code.dto';
import { ISSUER_PATH } from '../../issuer';
import { AuthorizationEndpoint } from '../authorization-endpoint.service';

/**
 * A business's authorization endpoint (RFC 6749 §3.1): a browser arrives with the client's
 * request and leaves for the console's consent screen, back to the client with an error it may
 * be told, or on an error page when the client or its redirect URI cannot be trusted.
 */
@ApiTags('oauth2')
@RawResponse()
@Controller(ISSUER_PATH)
export class AuthorizeController {
  constructor(private readonly endpoint: AuthorizationEndpoint) {}

  @Get(':business_id/authorize')
  @Public()
  @OAuthRateLimit()
  @ApiOperation({
    operationId: 'startAuthorization',
    summary: 'Authorization endpoint: the authorization code flow with PKCE, for a person',
    description:
      'RFC 6749 §4.1.1 with RFC 7636 (S256 only), RFC 8707 (resource: required, registered in ' +
      'the business) and RFC 9207 (iss in every answer). A browser is sent to the console to ' +
      'sign in and allow or deny (302). A request whose client or redirect URI cannot be ' +
      'trusted gets an error page (400); any other refusal goes back to the redirect URI with ' +
      'error, error_description, state and iss.',
  })
  @ApiResponse({ status: 302, description: 'To the consent screen, or back to the client' })
  @ApiResponse({ status: 400, description: 'An error page: unknown client, or bad redirect URI' })
  @ApiResponse({ status: 404, description: 'An error page: no such business, or one suspended' })
  async authorize(
    // Not the API's 422: a browser is answered with a page, as for an unknown business.
    @Param('business_id') businessId: string,
    @Query() query: AuthorizationRequestParams,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const answer = await this.endpoint.answer(businessId, query);
    if (answer.kind === 'redirect') {
      await reply.header('cache-control', 'no-store').redirect(answer.location, 302);
      return;
    }
    await reply
      .status(answer.status)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(answer.html);
  }
}

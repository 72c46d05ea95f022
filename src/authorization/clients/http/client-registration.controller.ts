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
import { Public } from '../../../auth/decorators';
import { RequestValidationError } from '../../../common/errors/domain-error';
import { RawResponse } from '../../../common/http/envelope';
import {
  ClientRegistrationRateLimit,
  OAuthRateLimit,
} from '../../../throttle/rate-limit.decorators';
import { ClientRegistrationService, RegistrationError } from '../client-registration.service';
import { ClientMetadataDto, ClientRegistrationDto } from '../dto/client-metadata.dto';

/** RFC 7591 §3.2.2's shape for a refused registration, ill-formed text included. */
@Catch(RegistrationError, RequestValidationError)
class RegistrationErrorFilter implements ExceptionFilter {
  catch(error: RegistrationError | RequestValidationError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const [code, description] =
      error instanceof RegistrationError
        ? [error.error, error.description]
        : ['invalid_client_metadata', 'Metadata must be well-formed Unicode text without U+0000'];
    void reply
      .status(400)
      .header('cache-control', 'no-store')
      .send({ error: code, error_description: description });
  }
}

const REGISTRATION_ERROR = {
  status: 400,
  description:
    'RFC 7591 §3.2.2: invalid_redirect_uri (a redirect URI breaks a rule), ' +
    'invalid_client_metadata (any other field, or a body that is not a JSON object)',
  schema: {
    type: 'object',
    required: ['error'],
    properties: {
      error: { type: 'string', enum: ['invalid_redirect_uri', 'invalid_client_metadata'] },
      error_description: {
        type: 'string',
        example: 'each redirect_uris entry must not contain a fragment',
      },
    },
  },
};

const isJson = (contentType: string | undefined) =>
  /^application\/json\s*(;|$)/i.test(contentType ?? '');

/** RFC 7591 dynamic client registration, for clients that have no metadata document. */
@ApiTags('oauth2')
@RawResponse()
@UseFilters(RegistrationErrorFilter)
@Controller('oauth2')
export class ClientRegistrationController {
  constructor(private readonly registrations: ClientRegistrationService) {}

  @Post('register')
  @Public()
  @OAuthRateLimit()
  @ClientRegistrationRateLimit()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'createOAuthClient',
    summary: 'RFC 7591 dynamic client registration (public clients)',
    description:
      'A JSON body of client metadata; fields it does not know are ignored. Only public clients ' +
      '(token_endpoint_auth_method none) using authorization_code with PKCE. The client_id ' +
      'answered is random; a client never used within a day is deleted. Rate limited per ' +
      'client IP (RATE_LIMIT_CLIENT_REGISTRATIONS_PER_HOUR). A client with a Client ID ' +
      'Metadata Document needs no registration: its URL is its client_id. See docs/agents.md.',
  })
  @ApiConsumes('application/json')
  @ApiBody({ type: ClientMetadataDto })
  @ApiResponse({ status: 201, type: ClientRegistrationDto, description: 'RFC 7591 §3.2.1' })
  @ApiResponse(REGISTRATION_ERROR)
  register(@Body() body: unknown, @Req() request: FastifyRequest): Promise<ClientRegistrationDto> {
    if (!isJson(request.headers['content-type'])) {
      throw new RegistrationError(
        'invalid_client_metadata',
        'The registration must be a JSON object (RFC 7591 §3.1)',
      );
    }
    return this.registrations.register(body);
  }
}

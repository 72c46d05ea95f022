import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BearerAuth, Ctx } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { WhoamiViewDto } from '../dto/workflows.dto';
import { MeService } from '../me.service';

/**
 * The one `/api/v1` route with no business: a client that holds only a token (the admin console
 * signing in) learns from it who it is and where it may act, before it can name a business.
 */
@ApiTags('me')
@Controller('api/v1/whoami')
export class WhoamiController {
  constructor(private readonly me: MeService) {}

  @Get()
  @BearerAuth()
  @ApiOperation({
    operationId: 'getWhoami',
    summary: 'The caller, from the token alone: identity, token, and the businesses it acts in',
    description:
      'Needs no x-business-id, and ignores one: it never confirms another business. Any live ' +
      'token answers, one in its rotation grace period included. A business token lists its one ' +
      "business with the holder's role there (a suspended business's token is refused, 403 " +
      'BUSINESS_SUSPENDED, as everywhere). A platform token lists no business: it may act in ' +
      'every one, and GET /platform/v1/businesses lists them.',
  })
  @ApiEnvelope(200, WhoamiViewDto)
  @ApiErrors({
    401: ['INVALID_TOKEN', 'TOKEN_EXPIRED', 'TOKEN_REVOKED', 'TOKEN_DISABLED'],
    403: ['BUSINESS_SUSPENDED', 'IP_NOT_ALLOWED', 'SSO_REQUIRED'],
    429: ['RATE_LIMITED (see Retry-After)'],
  })
  get(@Ctx() ctx: RequestContext) {
    return this.me.whoami(ctx);
  }
}

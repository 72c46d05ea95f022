import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { TokenSummaryDto } from '../dto/token-summary.dto';
import { TokenSummaryService } from '../lifecycle/token-summary.service';

@ApiTags('tokens')
@BusinessScoped()
@Controller('api/v1/tokens')
export class TokenSummaryController {
  constructor(private readonly summaries: TokenSummaryService) {}

  // Not read as a token id: Fastify's router tries a static segment before a parameter.
  @Get('summary')
  @ApiOperation({
    operationId: 'getTokenSummary',
    summary: 'Counts of the tokens that ask for attention: active, expiring, paused, risky',
    description:
      'Active tokens, and of those the ones expiring within 7 days, paused, and risky (as ' +
      'GET /api/v1/tokens/risky lists them); tokens revoked in the last 7 days; and the 5 ' +
      'tokens that expire soonest within 7 days. Every token ' +
      'of the business for an owner or admin whose token allows tokens:admin, else the ' +
      "caller's own.",
  })
  @ApiEnvelope(200, TokenSummaryDto)
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  summary(@Ctx() ctx: RequestContext) {
    return this.summaries.summary(ctx);
  }
}

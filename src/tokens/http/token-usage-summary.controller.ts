import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { TokenUsageSummaryDto, TokenUsageSummaryQueryDto } from '../dto/token-usage-summary.dto';
import { TokenUsageSummaryService } from '../usage/token-usage-summary.service';

@ApiTags('tokens')
@BusinessScoped()
@Controller('api/v1/tokens')
export class TokenUsageSummaryController {
  constructor(private readonly summaries: TokenUsageSummaryService) {}

  @Get('usage')
  @ApiOperation({
    operationId: 'getUsageSummary',
    summary: "Usage across the business's tokens: the busiest first, with their 2xx and 4xx",
    description:
      'Over the last 24 hours, 7 or 30 days (the hour now is in counts). Every token for an ' +
      "owner or admin whose token allows tokens:admin, else the caller's own. Usage is " +
      'written every few seconds and kept 30 days.',
  })
  @ApiEnvelope(200, TokenUsageSummaryDto)
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  summary(@Ctx() ctx: RequestContext, @Query() query: TokenUsageSummaryQueryDto) {
    return this.summaries.summary(ctx, query);
  }
}

import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { TokenUsageDto, TokenUsageQueryDto } from '../dto/token-usage.dto';
import { TokenUsageService } from '../usage/token-usage.service';

@ApiTags('tokens')
@BusinessScoped()
@Controller('api/v1/tokens')
export class TokenUsageController {
  constructor(private readonly usage: TokenUsageService) {}

  @Get(':token_id/usage')
  @ApiOperation({
    operationId: 'getTokenUsage',
    summary: "A token's requests per hour, and the client addresses it was used from",
    description:
      'For whoever may read the token: its holder, or an owner or admin whose token allows ' +
      'tokens:admin. Requests are counted per UTC hour (all, 2xx, 4xx) and written every few ' +
      'seconds, so the last seconds may be missing; usage is kept 30 days. The window is ' +
      '[from, to), by default the last 24 hours, at most 30 days.',
  })
  @ApiEnvelope(200, TokenUsageDto)
  @ApiErrors({ 404: ['TOKEN_NOT_FOUND'], 422: ['VALIDATION_ERROR'] })
  usageOf(
    @Ctx() ctx: RequestContext,
    @Param('token_id', uuidPipe('token_id')) id: string,
    @Query() query: TokenUsageQueryDto,
  ) {
    return this.usage.usageOf(ctx, id, query);
  }
}

import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, PlatformOnly } from '../auth/decorators';
import { RequestContext } from '../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../common/envelope';
import { ListPlatformTokensQueryDto, RevokeByValueDto } from './dto/token-requests.dto';
import { TokenViewDto } from '../auth/token-view.dto';
import { TokenQueriesService } from './token-queries.service';
import { TokenRevocationService } from './token-revocation.service';

@ApiTags('platform: tokens')
@PlatformOnly()
@Controller('platform/v1/tokens')
export class PlatformTokensController {
  constructor(
    private readonly queries: TokenQueriesService,
    private readonly revocation: TokenRevocationService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Tokens of every business, with filters' })
  @ApiEnvelope(200, TokenViewDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  list(@Query() query: ListPlatformTokensQueryDto) {
    return this.queries.listAnyBusiness(query);
  }

  @Post('revoke')
  @ApiOperation({
    summary: 'Revoke a token by its value',
    description:
      'An unknown or malformed token is 422 INVALID_TOKEN. Revoking again is idempotent.',
  })
  @ApiEnvelope(201, TokenViewDto)
  @ApiErrors({ 422: ['INVALID_TOKEN', 'VALIDATION_ERROR'] })
  revoke(@Ctx() ctx: RequestContext, @Body() dto: RevokeByValueDto) {
    return this.revocation.revokeByValue(
      ctx.policyCaller,
      ctx.author,
      dto.token,
      dto.reason ?? null,
    );
  }
}

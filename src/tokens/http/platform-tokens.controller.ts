import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, PlatformOnly, RetiringAllowed } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import {
  ListPlatformTokensQueryDto,
  RevokeByValueDto,
  RevokeTokenDto,
} from '../dto/token-requests.dto';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { TokenViewDto } from '../dto/token-view.dto';
import { TokenQueriesService } from '../lifecycle/token-queries.service';
import { TokenRevocationService } from '../lifecycle/revocation/token-revocation.service';
import { policyCallerOf } from '../policy/policy-decision';

@ApiTags('platform: tokens')
@PlatformOnly()
@Controller('platform/v1/tokens')
export class PlatformTokensController {
  constructor(
    private readonly queries: TokenQueriesService,
    private readonly revocation: TokenRevocationService,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listAllTokens', summary: 'Tokens of every business, with filters' })
  @ApiEnvelope(200, TokenViewDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListPlatformTokensQueryDto) {
    return this.queries.listAnyBusiness(ctx.actor.id, query);
  }

  @Post('revoke')
  @RetiringAllowed()
  @ApiOperation({
    operationId: 'revokeTokenByValue',
    summary: 'Revoke a token by its value',
    description:
      'An unknown or malformed token is 422 INVALID_TOKEN. Revoking again is idempotent.',
  })
  @ApiEnvelope(201, TokenViewDto, { codes: ['ALREADY_REVOKED'] })
  @ApiErrors({ 422: ['INVALID_TOKEN', 'VALIDATION_ERROR'] })
  revoke(@Ctx() ctx: RequestContext, @Body() dto: RevokeByValueDto) {
    return this.revocation.revokeByValue(
      policyCallerOf(ctx),
      ctx.author,
      dto.token,
      dto.reason ?? null,
    );
  }

  @Post(':token_id/revoke')
  @RetiringAllowed()
  @ApiOperation({
    operationId: 'revokeAnyToken',
    summary: 'Revoke any listed token by id, platform tokens included',
    description:
      'For a token from GET /platform/v1/tokens, in any business, with no x-business-id. ' +
      'Revoking again answers 201 with code ALREADY_REVOKED and the first revocation.',
  })
  @ApiEnvelope(201, TokenViewDto, { codes: ['ALREADY_REVOKED'] })
  @ApiErrors({ 404: ['TOKEN_NOT_FOUND'], 422: ['VALIDATION_ERROR'] })
  // Optional: no body is checked as an empty one, and every field is optional.
  @ApiBody({ type: RevokeTokenDto, required: false })
  revokeById(
    @Ctx() ctx: RequestContext,
    @Param('token_id', uuidPipe('token_id')) id: string,
    @Body() dto: RevokeTokenDto,
  ) {
    return this.revocation.revokeByIdAnyBusiness(
      policyCallerOf(ctx),
      ctx.author,
      id,
      dto.reason ?? null,
    );
  }
}

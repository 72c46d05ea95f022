import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { BusinessLimitsService } from '../limits/business-limits.service';
import {
  BusinessLimitsDto,
  BusinessLimitViewDto,
  LimitNameParamDto,
  PutBusinessLimitDto,
} from '../limits/dto/business-limits.dto';

const COUNTED =
  'Every gateway check (`/auth/verify`) of a business token counts against the limit its trusted ' +
  'gateway names in X-Latchkey-Limit, else against `default`; a name the business has no limit ' +
  "of limits nothing, and the API's own routes count against none. A spent cap is 429 " +
  'RATE_LIMITED with Retry-After, and RateLimit-Policy and RateLimit naming it (`"api"` for the ' +
  'business-wide cap, `"api/identity"` for the identity’s). Counted in fixed windows that start ' +
  'with their first call, exact across instances up to 199 a window and leased above, as a ' +
  "token's own limit is; a changed cap counts afresh.";

/** A business's shared limits: caps that its tokens count against together. */
@ApiTags('limits')
@BusinessScoped()
@Controller('api/v1/limits')
export class BusinessLimitsController {
  constructor(private readonly limits: BusinessLimitsService) {}

  @Get()
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'listLimits',
    summary: "The business's shared limits (owners and admins)",
    description: COUNTED,
  })
  @ApiEnvelope(200, BusinessLimitsDto)
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE'] })
  list(@Ctx() ctx: RequestContext) {
    return this.limits.list(ctx);
  }

  @Put(':name')
  @RequireRole('owner')
  @RequireScope('tokens:admin')
  @ApiOperation({
    operationId: 'replaceLimit',
    summary: 'Set a shared limit, new or replaced (owners and platform admins; tokens:admin)',
    description:
      `${COUNTED} Applies at once on every instance that hears the change, within 5 s on any. ` +
      'Audited as business_limit.set, with before and after.',
  })
  @ApiEnvelope(200, BusinessLimitViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    409: ['LIMIT_COUNT_REACHED'],
    422: ['VALIDATION_ERROR'],
  })
  put(
    @Ctx() ctx: RequestContext,
    @Param() params: LimitNameParamDto,
    @Body() dto: PutBusinessLimitDto,
  ) {
    return this.limits.put(ctx, params.name, dto);
  }

  @Delete(':name')
  @RequireRole('owner')
  @RequireScope('tokens:admin')
  @ApiOperation({
    operationId: 'deleteLimit',
    summary: 'Delete a shared limit (owners and platform admins; tokens:admin)',
    description: 'Audited as business_limit.deleted. Answers the limit as it was.',
  })
  @ApiEnvelope(200, BusinessLimitViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    404: ['LIMIT_NOT_FOUND'],
    422: ['VALIDATION_ERROR'],
  })
  delete(@Ctx() ctx: RequestContext, @Param() params: LimitNameParamDto) {
    return this.limits.delete(ctx, params.name);
  }
}

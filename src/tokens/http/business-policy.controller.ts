import { Body, Controller, Get, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { PageQueryDto } from '../../common/validation/pagination';
import { BusinessPolicyService } from '../../governance/business-policy.service';
import {
  BusinessPolicyViewDto,
  PutBusinessPolicyDto,
} from '../../governance/dto/business-policy.dto';
import { PolicyViolationDto } from '../dto/policy-violation.dto';
import { PolicyViolationsService } from '../sweeps/policy-violations.service';

/** A business's token policy: what every token it issues must keep, and who breaks it now. */
@ApiTags('token policy')
@BusinessScoped()
@Controller('api/v1/token-policy')
export class BusinessPolicyController {
  constructor(
    private readonly policy: BusinessPolicyService,
    private readonly violations: PolicyViolationsService,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'getTokenPolicy',
    summary: "The business's token policy (any member); every rule null when none is set",
  })
  @ApiEnvelope(200, BusinessPolicyViewDto)
  read(@Ctx() ctx: RequestContext) {
    return this.policy.read(ctx);
  }

  @Put()
  @RequireRole('owner')
  @RequireScope('tokens:admin')
  @ApiOperation({
    operationId: 'updateTokenPolicy',
    summary: "Replace the business's token policy (owners and platform admins; tokens:admin)",
    description:
      'Every token issued from then on keeps it, on every path (create, rotate, first tokens, ' +
      're-issue, the CLI): a breach is 422 POLICY_VIOLATION, one detail entry per rule at the ' +
      'field it is about. Existing tokens are not changed: `GET /api/v1/token-policy/violations` ' +
      'lists those that break it. Audited as token_policy.updated, with before and after, ' +
      'naming who replaced it: an owner, or a platform admin acting with a platform token.',
  })
  @ApiEnvelope(200, BusinessPolicyViewDto)
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'], 422: ['VALIDATION_ERROR'] })
  put(@Ctx() ctx: RequestContext, @Body() dto: PutBusinessPolicyDto) {
    return this.policy.put(ctx, dto);
  }

  @Get('violations')
  @ApiOperation({
    operationId: 'listTokenPolicyViolations',
    summary: 'Active tokens that break the current policy, and how (listed, never revoked)',
    description:
      'As the token list: every token for an owner or admin, else the caller’s own. Oldest ' +
      'first. A page may hold fewer than `limit` items with a next_cursor when it read 5000 ' +
      'tokens first.',
  })
  @ApiEnvelope(200, PolicyViolationDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR', 'INVALID_CURSOR'] })
  listViolations(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
    return this.violations.list(ctx, query);
  }
}

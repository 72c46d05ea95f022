import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { PageQueryDto } from '../../common/validation/pagination';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { CreateTrustRuleDto, TrustRuleViewDto } from '../dto/trust-rule.dto';
import { TRUST_RULE_ROLE, TRUST_RULE_SCOPE } from '../rules/trust-rule-policy';
import { TrustRulesService } from '../rules/trust-rules.service';

const FORBIDDEN = ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'];

@ApiTags('federation')
@BusinessScoped()
@RequireRole(TRUST_RULE_ROLE)
@RequireScope(TRUST_RULE_SCOPE)
@Controller('api/v1/machine-identities/:identity_id/trust-rules')
export class TrustRulesController {
  constructor(private readonly rules: TrustRulesService) {}

  @Get()
  @ApiOperation({
    operationId: 'listTrustRules',
    summary: "List a machine identity's trust rules (owner or admin; tokens:admin)",
  })
  @ApiEnvelope(200, TrustRuleViewDto, { paginated: true })
  @ApiErrors({ 403: FORBIDDEN, 404: ['IDENTITY_NOT_FOUND'], 422: ['VALIDATION_ERROR'] })
  list(
    @Ctx() ctx: RequestContext,
    @Param('identity_id', uuidPipe('identity_id')) identityId: string,
    @Query() query: PageQueryDto,
  ) {
    return this.rules.list(ctx, identityId, query);
  }

  @Post()
  @ApiOperation({
    operationId: 'createTrustRule',
    summary: 'Trust a workload identity issuer to obtain this machine identity’s tokens',
    description:
      'A JWT from `issuer`, for `audience`, whose `sub` matches `subject` and whose other claims ' +
      'match `claims`, may then be exchanged at `POST /oauth2/token` (RFC 8693) for a token of ' +
      'this machine identity holding `scopes`, for at most `max_ttl_seconds`. See ' +
      'docs/federation.md.',
  })
  @ApiEnvelope(201, TrustRuleViewDto)
  @ApiErrors({
    403: [...FORBIDDEN, 'SCOPE_ESCALATION', 'TOKEN_FEDERATED'],
    404: ['IDENTITY_NOT_FOUND'],
    409: ['TRUST_RULE_LIMIT_REACHED'],
    422: ['VALIDATION_ERROR'],
  })
  create(
    @Ctx() ctx: RequestContext,
    @Param('identity_id', uuidPipe('identity_id')) identityId: string,
    @Body() dto: CreateTrustRuleDto,
  ) {
    return this.rules.create(ctx, identityId, dto);
  }

  @Delete(':rule_id')
  @ApiOperation({
    operationId: 'deleteTrustRule',
    summary: 'Delete a trust rule (tokens it already issued stay until they expire or are revoked)',
  })
  @ApiEnvelope(200, TrustRuleViewDto)
  @ApiErrors({
    403: [...FORBIDDEN, 'TOKEN_FEDERATED'],
    404: ['IDENTITY_NOT_FOUND', 'TRUST_RULE_NOT_FOUND'],
    422: ['VALIDATION_ERROR'],
  })
  delete(
    @Ctx() ctx: RequestContext,
    @Param('identity_id', uuidPipe('identity_id')) identityId: string,
    @Param('rule_id', uuidPipe('rule_id')) ruleId: string,
  ) {
    return this.rules.delete(ctx, identityId, ruleId);
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApproveTokenRequestDto,
  DenyTokenRequestDto,
} from '../../../approvals/dto/token-request.dto';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../../auth/decorators';
import { RequestContext } from '../../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../../common/http/envelope';
import { uuidPipe } from '../../../common/validation/validation.pipe';
import { ConsentApprovalsService } from '../consent-approvals.service';
import {
  ConsentRequestViewDto,
  CreateConsentRequestDto,
  ListConsentRequestsQueryDto,
} from '../dto/consent-request.dto';

const DECIDERS = ['APPROVER_MUST_BE_PERSON', 'APPROVER_NOT_MEMBER', 'SELF_APPROVAL'] as const;

/**
 * Requests for an approver's consent: scopes the business's token policy keeps for approvers
 * (`approval_required.scopes`) reach a connected app only once an owner or admin allows them.
 */
@ApiTags('connected apps')
@BusinessScoped()
@Controller('api/v1/connected-apps/requests')
export class ConsentRequestsController {
  constructor(private readonly approvals: ConsentApprovalsService) {}

  @Post()
  @ApiOperation({
    operationId: 'createConnectedAppRequest',
    summary: 'Ask an approver to allow an app scopes the business keeps for approvers',
    description:
      'From the consent screen, with its sealed request, after 403 APPROVAL_REQUIRED. Filed ' +
      'again, it replaces the pending one for the same app and resource. Approved, start again ' +
      'from the app: the consent is remembered, scopes approved. Audited as ' +
      'oauth_consent.approval_requested.',
  })
  @ApiEnvelope(201, ConsentRequestViewDto)
  @ApiErrors({
    403: ['CONSENT_BY_PERSON_ONLY'],
    404: ['AUTHORIZATION_REQUEST_NOT_FOUND'],
    409: ['APPROVAL_NOT_REQUIRED', 'CONSENT_REQUEST_LIMIT_REACHED'],
    422: ['VALIDATION_ERROR', 'SECRET_IN_TEXT'],
  })
  file(@Ctx() ctx: RequestContext, @Body() dto: CreateConsentRequestDto) {
    return this.approvals.file(ctx, dto);
  }

  @Get()
  @ApiOperation({
    operationId: 'listConnectedAppRequests',
    summary: "The business's connected app requests (approvers, tokens:admin), else your own",
  })
  @ApiEnvelope(200, ConsentRequestViewDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListConsentRequestsQueryDto) {
    return this.approvals.list(ctx, query);
  }

  @Post(':request_id/approve')
  @HttpCode(200)
  @RequireRole('admin')
  @RequireScope('tokens:admin')
  @ApiOperation({
    operationId: 'approveConnectedAppRequest',
    summary: "Allow a person's app the scopes they asked for (owner or admin, never the asker)",
    description: "Audited as oauth_consent.approved. An admin does not decide an owner's request.",
  })
  @ApiEnvelope(200, ConsentRequestViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE', ...DECIDERS, 'APPROVER_OUTRANKED'],
    404: ['CONSENT_REQUEST_NOT_FOUND'],
    409: ['CONSENT_REQUEST_NOT_PENDING'],
    422: ['VALIDATION_ERROR', 'SECRET_IN_TEXT'],
  })
  approve(
    @Ctx() ctx: RequestContext,
    @Param('request_id', uuidPipe('request_id')) id: string,
    @Body() dto: ApproveTokenRequestDto,
  ) {
    return this.approvals.approve(ctx, id, dto.reason ?? null);
  }

  @Post(':request_id/deny')
  @HttpCode(200)
  @RequireRole('admin')
  @RequireScope('tokens:admin')
  @ApiOperation({
    operationId: 'denyConnectedAppRequest',
    summary: "Refuse a person's app the scopes they asked for, with a reason",
    description: 'Audited as oauth_consent.approval_refused.',
  })
  @ApiEnvelope(200, ConsentRequestViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE', ...DECIDERS, 'APPROVER_OUTRANKED'],
    404: ['CONSENT_REQUEST_NOT_FOUND'],
    409: ['CONSENT_REQUEST_NOT_PENDING'],
    422: ['VALIDATION_ERROR', 'SECRET_IN_TEXT'],
  })
  deny(
    @Ctx() ctx: RequestContext,
    @Param('request_id', uuidPipe('request_id')) id: string,
    @Body() dto: DenyTokenRequestDto,
  ) {
    return this.approvals.deny(ctx, id, dto.reason);
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { NoStore } from '../../common/http/no-store';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { IssuedTokenDto } from '../../tokens/dto/token-view.dto';
import {
  ApproveTokenRequestDto,
  CreateTokenRequestDto,
  DenyTokenRequestDto,
  ListTokenRequestsQueryDto,
  TokenRequestViewDto,
} from '../dto/token-request.dto';
import { TokenDecisionsService } from '../token-decisions.service';
import { TokenRequestsService } from '../token-requests.service';

const DECIDER =
  'Only a person (a user identity) who is an owner or admin, with a token allowing tokens:admin, ' +
  "decides; never the requester's identity, whichever of its tokens is used (403 SELF_APPROVAL), " +
  "and an admin never an owner's request. The first decision wins: the rest are 409 REQUEST_NOT_PENDING.";
const DECIDE_403 = [
  'INSUFFICIENT_ROLE',
  'INSUFFICIENT_SCOPE',
  'APPROVER_MUST_BE_PERSON',
  'APPROVER_NOT_MEMBER',
  'SELF_APPROVAL',
  'APPROVER_OUTRANKED',
] as const;
const ID = 'token_request_id';

@ApiTags('approvals')
@BusinessScoped()
@Controller('api/v1/token-requests')
export class TokenRequestsController {
  constructor(
    private readonly requests: TokenRequestsService,
    private readonly decisions: TokenDecisionsService,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'createTokenRequest',
    summary: 'Ask for a token the business requires approval for',
    description:
      'The body of POST /api/v1/tokens plus a justification. Every check a create runs (scopes ' +
      'within the calling token, the business policy, the role, the identity cap) runs now; no ' +
      'token is made. At most 20 pending requests per identity and 1000 per business.',
  })
  @ApiEnvelope(201, TokenRequestViewDto)
  @ApiErrors({
    403: ['SCOPE_ESCALATION', 'INSUFFICIENT_ROLE'],
    404: ['IDENTITY_NOT_FOUND'],
    409: ['TOKEN_LIMIT_REACHED', 'TOKEN_REQUEST_LIMIT_REACHED', 'BUSINESS_REQUEST_LIMIT_REACHED'],
    422: [
      'VALIDATION_ERROR',
      'EXPIRY_EXCEEDS_MAKER',
      'CONSTRAINTS_EXCEED_MAKER',
      'POLICY_VIOLATION',
    ],
  })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateTokenRequestDto) {
    return this.requests.create(ctx, dto);
  }

  @Get()
  @ApiOperation({
    operationId: 'listTokenRequests',
    summary: "List token requests: an owner or admin sees the business's, a member their own",
  })
  @ApiEnvelope(200, TokenRequestViewDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListTokenRequestsQueryDto) {
    return this.requests.list(ctx, query);
  }

  @Get(`:${ID}`)
  @ApiOperation({ operationId: 'getTokenRequest', summary: 'One token request' })
  @ApiEnvelope(200, TokenRequestViewDto)
  @ApiErrors({ 404: ['TOKEN_REQUEST_NOT_FOUND'], 422: ['VALIDATION_ERROR'] })
  get(@Ctx() ctx: RequestContext, @Param(ID, uuidPipe(ID)) id: string) {
    return this.requests.get(ctx, id);
  }

  @Post(`:${ID}/approve`)
  @HttpCode(200)
  @RequireRole('admin')
  @RequireScope('tokens:admin')
  @ApiOperation({ operationId: 'approveTokenRequest', summary: 'Approve', description: DECIDER })
  @ApiEnvelope(200, TokenRequestViewDto)
  @ApiErrors({
    403: [...DECIDE_403],
    404: ['TOKEN_REQUEST_NOT_FOUND'],
    409: ['REQUEST_NOT_PENDING'],
    422: ['VALIDATION_ERROR'],
  })
  approve(
    @Ctx() ctx: RequestContext,
    @Param(ID, uuidPipe(ID)) id: string,
    @Body() dto: ApproveTokenRequestDto,
  ) {
    return this.decisions.approve(ctx, id, dto.reason ?? null);
  }

  @Post(`:${ID}/deny`)
  @HttpCode(200)
  @RequireRole('admin')
  @RequireScope('tokens:admin')
  @ApiOperation({
    operationId: 'denyTokenRequest',
    summary: 'Deny, with a reason',
    description: DECIDER,
  })
  @ApiEnvelope(200, TokenRequestViewDto)
  @ApiErrors({
    403: [...DECIDE_403],
    404: ['TOKEN_REQUEST_NOT_FOUND'],
    409: ['REQUEST_NOT_PENDING'],
    422: ['VALIDATION_ERROR'],
  })
  deny(
    @Ctx() ctx: RequestContext,
    @Param(ID, uuidPipe(ID)) id: string,
    @Body() dto: DenyTokenRequestDto,
  ) {
    return this.decisions.deny(ctx, id, dto.reason);
  }

  @Post(`:${ID}/withdraw`)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'withdrawTokenRequest',
    summary: 'Withdraw a pending request (its requester alone)',
  })
  @ApiEnvelope(200, TokenRequestViewDto)
  @ApiErrors({
    404: ['TOKEN_REQUEST_NOT_FOUND'],
    409: ['REQUEST_NOT_PENDING'],
    422: ['VALIDATION_ERROR'],
  })
  withdraw(@Ctx() ctx: RequestContext, @Param(ID, uuidPipe(ID)) id: string) {
    return this.requests.withdraw(ctx, id);
  }

  @Post(`:${ID}/collect`)
  @NoStore()
  @ApiOperation({
    operationId: 'collectTokenRequest',
    summary: 'Collect the approved token; the secret is in this response only',
    description:
      "By the requester's identity alone (to anyone else the request is not there), once, " +
      'within 7 days of the approval. The terms are checked again, as a create would check them, ' +
      'but for the approval rule. The approver never sees the secret.',
  })
  @ApiEnvelope(201, IssuedTokenDto)
  @ApiErrors({
    403: ['SCOPE_ESCALATION'],
    404: ['TOKEN_REQUEST_NOT_FOUND', 'IDENTITY_NOT_FOUND'],
    409: [
      'REQUEST_NOT_APPROVED',
      'REQUEST_ALREADY_COLLECTED',
      'APPROVAL_EXPIRED',
      'TOKEN_LIMIT_REACHED',
    ],
    422: [
      'VALIDATION_ERROR',
      'EXPIRY_EXCEEDS_MAKER',
      'CONSTRAINTS_EXCEED_MAKER',
      'POLICY_VIOLATION',
    ],
  })
  collect(@Ctx() ctx: RequestContext, @Param(ID, uuidPipe(ID)) id: string) {
    return this.decisions.collect(ctx, id);
  }
}

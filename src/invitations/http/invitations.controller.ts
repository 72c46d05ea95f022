import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { PageQueryDto } from '../../common/validation/pagination';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { CreateInvitationDto, InvitationViewDto } from '../dto/invitation.dto';
import { InvitationsService } from '../invitations.service';

const WHO =
  "Who may invite whom is the rule of adding a member (the token policy's `add_member` row): " +
  'an owner invites anyone, an admin an admin or a member, and a platform token no one.';

@ApiTags('invitations')
@BusinessScoped()
@RequireRole('admin')
@Controller('api/v1/invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post()
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'createInvitation',
    summary: 'Invite a person by email; the link in the email makes them a member',
    description:
      `${WHO} The email carries a link to PUBLIC_BASE_URL/admin/#/invitation?token=…; the ` +
      "link's secret is stored only as its SHA-256 and is in no answer. It works once, for " +
      '`expires_in_hours` (default 72). Without SMTP_URL this is 409 EMAIL_NOT_CONFIGURED. When ' +
      'the mail server does not take the email, the invitation is kept as `send_failed` (resend ' +
      'it) and the answer is 503 EMAIL_SEND_FAILED. A business holds at most 1000 open invitations.',
  })
  @ApiEnvelope(201, InvitationViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE', 'NOT_TOKEN_HOLDER'],
    409: ['MEMBER_EXISTS', 'INVITATION_EXISTS', 'INVITATION_LIMIT_REACHED', 'EMAIL_NOT_CONFIGURED'],
    422: ['VALIDATION_ERROR'],
    503: ['EMAIL_SEND_FAILED'],
  })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateInvitationDto) {
    return this.invitations.create(ctx, dto);
  }

  @Get()
  @RequireScope('members:read')
  @ApiOperation({
    operationId: 'listInvitations',
    summary: 'List the open invitations (pending, send_failed, or expired and not yet replaced)',
  })
  @ApiEnvelope(200, InvitationViewDto, { paginated: true })
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'], 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
    return this.invitations.list(ctx, query);
  }

  @Post(':invitation_id/resend')
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'sendInvitationAgain',
    summary: 'Send a new link; the old one stops working',
    description:
      'The new link works for as long as the first did, from now. At most one send a minute per ' +
      'invitation (429 INVITATION_RESEND_TOO_SOON, with Retry-After).',
  })
  @ApiEnvelope(201, InvitationViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    404: ['INVITATION_NOT_FOUND'],
    409: ['INVITATION_NOT_OPEN', 'EMAIL_NOT_CONFIGURED'],
    422: ['VALIDATION_ERROR'],
    429: ['INVITATION_RESEND_TOO_SOON'],
    503: ['EMAIL_SEND_FAILED'],
  })
  resend(
    @Ctx() ctx: RequestContext,
    @Param('invitation_id', uuidPipe('invitation_id')) id: string,
  ) {
    return this.invitations.resend(ctx, id);
  }

  @Delete(':invitation_id')
  @RequireScope('members:write')
  @ApiOperation({ operationId: 'revokeInvitation', summary: 'Revoke an open invitation' })
  @ApiEnvelope(200, InvitationViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    404: ['INVITATION_NOT_FOUND'],
    409: ['INVITATION_NOT_OPEN', 'EMAIL_NOT_CONFIGURED'],
    422: ['VALIDATION_ERROR'],
  })
  revoke(
    @Ctx() ctx: RequestContext,
    @Param('invitation_id', uuidPipe('invitation_id')) id: string,
  ) {
    return this.invitations.revoke(ctx, id);
  }
}

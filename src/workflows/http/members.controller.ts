import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { NoStore } from '../../common/http/no-store';
import { PageQueryDto } from '../../common/validation/pagination';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { ChangeRoleDto, MemberViewDto } from '../../tenancy/dto/tenancy.dto';
import {
  AddedMemberDto,
  AddMemberDto,
  ReissueFirstTokenDto,
  ReissuedFirstTokenDto,
  RemovedMemberViewDto,
} from '../dto/workflows.dto';
import { MembersService } from '../../tenancy/members.service';
import { OffboardingService } from '../offboarding.service';
import { OnboardingService } from '../onboarding.service';

@ApiTags('members')
@BusinessScoped()
@RequireRole('admin')
@Controller('api/v1/members')
export class MembersController {
  constructor(
    private readonly members: MembersService,
    private readonly onboarding: OnboardingService,
    private readonly offboarding: OffboardingService,
  ) {}

  @Get()
  @RequireScope('members:read')
  @ApiOperation({
    operationId: 'listMembers',
    summary:
      'List the people of the business (owner or admin; members:read, which members:write covers)',
  })
  @ApiEnvelope(200, MemberViewDto, { paginated: true })
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'], 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
    return this.members.list(ctx, query);
  }

  @Post()
  @NoStore()
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'addMember',
    summary: 'Add a person; returns their first token, once (expires in 7 days by default)',
    description:
      'The first token goes to the caller, to pass on. Its scopes are at most the calling ' +
      "token's, within the new member's role. Adding a person who already exists (by email) " +
      'gives the caller a token that acts as them in this business only; the audit log names ' +
      'the token and its maker on every action it takes. Only an owner adds an owner; only a ' +
      'platform admin adds a platform admin; a platform token adds no one (it never receives a ' +
      "person's secret).",
  })
  @ApiEnvelope(201, AddedMemberDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE', 'NOT_TOKEN_HOLDER', 'PLATFORM_ADMIN_REQUIRED'],
    409: ['MEMBER_EXISTS'],
    422: ['VALIDATION_ERROR'],
  })
  add(@Ctx() ctx: RequestContext, @Body() dto: AddMemberDto) {
    return this.onboarding.addMember(ctx, dto);
  }

  @Post(':identity_id/token')
  @NoStore()
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'reissueFirstToken',
    summary: "Re-issue a member's first token; the secret is in this response only",
    description:
      'For a member who lost theirs. Downward only: an admin for a member, an owner for an ' +
      "admin or a member; an owner's is re-issued only by that owner. The token expires in 7 " +
      "days by default, and its scopes are at most the calling token's. The member's old first " +
      'token (every active token of theirs named `first-token`) is revoked in the same ' +
      'transaction, with reason "first token re-issued", and `replaced_token_ids` names it; ' +
      'their other tokens stay.',
  })
  @ApiEnvelope(201, ReissuedFirstTokenDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE', 'NOT_TOKEN_HOLDER'],
    404: ['MEMBER_NOT_FOUND'],
    422: ['VALIDATION_ERROR'],
  })
  // Optional: no body is checked as an empty one, and every field is optional.
  @ApiBody({ type: ReissueFirstTokenDto, required: false })
  reissueFirstToken(
    @Ctx() ctx: RequestContext,
    @Param('identity_id', uuidPipe('identity_id')) identityId: string,
    @Body() dto: ReissueFirstTokenDto,
  ) {
    return this.onboarding.reissueFirstToken(ctx, identityId, dto);
  }

  @Patch(':identity_id')
  @RequireScope('members:write')
  @ApiOperation({ operationId: 'changeMemberRole', summary: "Change a member's role" })
  @ApiEnvelope(200, MemberViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    404: ['MEMBER_NOT_FOUND'],
    409: ['LAST_OWNER'],
    422: ['VALIDATION_ERROR'],
  })
  changeRole(
    @Ctx() ctx: RequestContext,
    @Param('identity_id', uuidPipe('identity_id')) identityId: string,
    @Body() dto: ChangeRoleDto,
  ) {
    return this.members.changeRole(ctx, identityId, dto);
  }

  @Delete(':identity_id')
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'removeMember',
    summary: 'Remove a member and revoke all of their tokens in this business',
    description:
      'Answers the member as they were, with how many of their tokens in this business the ' +
      'removal revoked (`revoked_tokens`). Their tokens stop working at once; those in other ' +
      'businesses are kept.',
  })
  @ApiEnvelope(200, RemovedMemberViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    404: ['MEMBER_NOT_FOUND'],
    409: ['LAST_OWNER'],
    422: ['VALIDATION_ERROR'],
  })
  remove(
    @Ctx() ctx: RequestContext,
    @Param('identity_id', uuidPipe('identity_id')) identityId: string,
  ) {
    return this.offboarding.removeMember(ctx, identityId);
  }
}

import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../auth/decorators';
import { RequestContext } from '../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../common/envelope';
import { NoStore } from '../common/no-store';
import { PageQueryDto } from '../common/pagination';
import { uuidPipe } from '../common/validation.pipe';
import { AddedMemberDto, AddMemberDto, ChangeRoleDto, MemberViewDto } from './dto/tenancy.dto';
import { MembersService } from './members.service';

@ApiTags('members')
@BusinessScoped()
@RequireRole('admin')
@Controller('api/v1/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @ApiOperation({ summary: 'List the people of the business (owner or admin)' })
  @ApiEnvelope(200, MemberViewDto, { paginated: true })
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE'], 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
    return this.members.list(ctx, query);
  }

  @Post()
  @NoStore()
  @RequireScope('members:write')
  @ApiOperation({
    summary: 'Add a person; returns their first token, once (expires in 7 days by default)',
  })
  @ApiEnvelope(201, AddedMemberDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    409: ['MEMBER_EXISTS'],
    422: ['VALIDATION_ERROR'],
  })
  add(@Ctx() ctx: RequestContext, @Body() dto: AddMemberDto) {
    return this.members.add(ctx, dto);
  }

  @Patch(':identity_id')
  @RequireScope('members:write')
  @ApiOperation({ summary: "Change a member's role" })
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
  @ApiOperation({ summary: 'Remove a member and revoke all of their tokens in this business' })
  @ApiEnvelope(200, MemberViewDto)
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
    return this.members.remove(ctx, identityId);
  }
}

import { Body, Controller, Delete, Get, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { CustomRolesService } from '../../tenancy/custom-roles.service';
import {
  AssignCustomRoleDto,
  CreateCustomRoleDto,
  CustomRoleAssignmentDto,
  CustomRoleViewDto,
  UpdateCustomRoleDto,
} from '../../tenancy/dto/custom-role.dto';

const SHAPE =
  'A custom role is a base role (admin or member: who may act on whom) narrowed to scopes, ' +
  'which lie within the base role and within the calling token (403 ROLE_ESCALATION). ';

/** A business's custom roles, which owners and admins shape and give. */
@ApiTags('members')
@BusinessScoped()
@RequireRole('admin')
@Controller('api/v1/custom-roles')
export class CustomRolesController {
  constructor(private readonly roles: CustomRolesService) {}

  @Get()
  @RequireScope('members:read')
  @ApiOperation({ operationId: 'listCustomRoles', summary: "List the business's custom roles" })
  @ApiEnvelope(200, CustomRoleViewDto, { paginated: true })
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'] })
  list(@Ctx() ctx: RequestContext) {
    return this.roles.list(ctx);
  }

  @Post()
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'createCustomRole',
    summary: 'Make a custom role',
    description: `${SHAPE}At most 50 per business.`,
  })
  @ApiEnvelope(201, CustomRoleViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE', 'ROLE_ESCALATION'],
    409: ['CUSTOM_ROLE_EXISTS', 'CUSTOM_ROLE_LIMIT_REACHED'],
    422: ['VALIDATION_ERROR', 'SCOPE_BEYOND_BASE_ROLE'],
  })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateCustomRoleDto) {
    return this.roles.create(ctx, dto);
  }

  @Patch(':role_id')
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'updateCustomRole',
    summary: "Change a custom role's scopes: its holders' tokens are bounded by them at once",
    description: `${SHAPE}The base role never changes: make another role.`,
  })
  @ApiEnvelope(200, CustomRoleViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE', 'ROLE_ESCALATION'],
    404: ['CUSTOM_ROLE_NOT_FOUND'],
    422: ['VALIDATION_ERROR', 'SCOPE_BEYOND_BASE_ROLE'],
  })
  update(
    @Ctx() ctx: RequestContext,
    @Param('role_id', uuidPipe('role_id')) id: string,
    @Body() dto: UpdateCustomRoleDto,
  ) {
    return this.roles.update(ctx, id, dto);
  }

  @Delete(':role_id')
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'deleteCustomRole',
    summary: 'Delete a custom role that no member holds',
  })
  @ApiEnvelope(200, CustomRoleViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE', 'ROLE_ESCALATION'],
    404: ['CUSTOM_ROLE_NOT_FOUND'],
    409: ['CUSTOM_ROLE_IN_USE'],
    422: ['VALIDATION_ERROR'],
  })
  remove(@Ctx() ctx: RequestContext, @Param('role_id', uuidPipe('role_id')) id: string) {
    return this.roles.remove(ctx, id);
  }

  @Put('holders/:identity_id')
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'setCustomRoleOfMember',
    summary: 'Give a member (a person or a machine) a custom role, or take it back (null)',
    description:
      "The member's role becomes the custom role's base role; only an owner touches an owner, " +
      'and the last owner stays. Their tokens are bounded by its scopes at once. Giving a ' +
      'built-in role (PATCH /api/v1/members/{id}) takes a custom role back.',
  })
  @ApiEnvelope(200, CustomRoleAssignmentDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE', 'ROLE_ESCALATION'],
    404: ['MEMBER_NOT_FOUND', 'CUSTOM_ROLE_NOT_FOUND'],
    409: ['LAST_OWNER'],
    422: ['VALIDATION_ERROR'],
  })
  assign(
    @Ctx() ctx: RequestContext,
    @Param('identity_id', uuidPipe('identity_id')) identityId: string,
    @Body() dto: AssignCustomRoleDto,
  ) {
    return this.roles.assign(ctx, identityId, dto.custom_role_id);
  }
}

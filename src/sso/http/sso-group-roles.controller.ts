import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { GroupRoleViewDto, SetGroupRoleDto } from '../dto/sso.dto';
import { SsoGroupRolesService } from '../sso-group-roles.service';

/**
 * A business's group rules: which of the identity provider's groups sign a person in at which
 * role. Owners edit them (a rule may give the owner role); owners and admins read them.
 */
@ApiTags('sso')
@BusinessScoped()
@Controller('api/v1/sso/group-roles')
export class SsoGroupRolesController {
  constructor(private readonly rules: SsoGroupRolesService) {}

  @Get()
  @RequireRole('admin')
  @RequireScope('members:read')
  @ApiOperation({
    operationId: 'listSsoGroupRoles',
    summary: "List the business's group rules: a provider group, and the role it signs in at",
  })
  @ApiEnvelope(200, GroupRoleViewDto, { paginated: true })
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'] })
  list(@Ctx() ctx: RequestContext) {
    return this.rules.list(ctx);
  }

  @Put()
  @RequireRole('owner')
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'setSsoGroupRole',
    summary: 'Give a provider group a role in the business, or change the role it gives',
    description:
      'Owners only. A person whose groups name a rule signs in at its role (the highest, when ' +
      'several do), and is made a member at their first sign-in; one whose groups name none ' +
      'is refused. At most 100 rules per business.',
  })
  @ApiEnvelope(200, GroupRoleViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    409: ['SSO_GROUP_ROLE_LIMIT_REACHED'],
    422: ['VALIDATION_ERROR'],
  })
  set(@Ctx() ctx: RequestContext, @Body() dto: SetGroupRoleDto) {
    return this.rules.set(ctx, dto);
  }

  @Delete(':rule_id')
  @RequireRole('owner')
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'removeSsoGroupRole',
    summary: 'Remove a group rule: its group signs no one in from then on',
    description: 'Sessions already made last until they expire or are revoked.',
  })
  @ApiEnvelope(200, GroupRoleViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    404: ['SSO_GROUP_ROLE_NOT_FOUND'],
    422: ['VALIDATION_ERROR'],
  })
  remove(@Ctx() ctx: RequestContext, @Param('rule_id', uuidPipe('rule_id')) id: string) {
    return this.rules.remove(ctx, id);
  }
}

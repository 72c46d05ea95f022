import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { PageQueryDto } from '../../common/validation/pagination';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { CreateMachineIdentityDto, MachineIdentityViewDto } from '../../tenancy/dto/tenancy.dto';
import { MachineIdentitiesService } from '../../tenancy/machine-identities.service';
import { RemovedMachineIdentityViewDto } from '../dto/workflows.dto';
import { OffboardingService } from '../offboarding.service';

@ApiTags('machine identities')
@BusinessScoped()
@RequireRole('admin')
@Controller('api/v1/machine-identities')
export class MachineIdentitiesController {
  constructor(
    private readonly machines: MachineIdentitiesService,
    private readonly offboarding: OffboardingService,
  ) {}

  @Get()
  @RequireScope('members:read')
  @ApiOperation({
    operationId: 'listMachineIdentities',
    summary:
      'List the machine identities of the business (owner or admin; members:read, which members:write covers)',
  })
  @ApiEnvelope(200, MachineIdentityViewDto, { paginated: true })
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'], 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
    return this.machines.list(ctx, query);
  }

  @Post()
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'createMachineIdentity',
    summary: 'Create a machine identity with the admin or member role',
  })
  @ApiEnvelope(201, MachineIdentityViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    409: ['IDENTITY_EXISTS'],
    422: ['VALIDATION_ERROR'],
  })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateMachineIdentityDto) {
    return this.machines.create(ctx, dto);
  }

  @Delete(':identity_id')
  @RequireScope('members:write')
  @ApiOperation({
    operationId: 'deleteMachineIdentity',
    summary: 'Delete a machine identity and revoke its tokens',
    description:
      'Answers the machine as it was, with how many of its tokens the deletion revoked ' +
      '(`revoked_tokens`).',
  })
  @ApiEnvelope(200, RemovedMachineIdentityViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    404: ['IDENTITY_NOT_FOUND'],
    422: ['VALIDATION_ERROR'],
  })
  delete(
    @Ctx() ctx: RequestContext,
    @Param('identity_id', uuidPipe('identity_id')) identityId: string,
  ) {
    return this.offboarding.deleteMachine(ctx, identityId);
  }
}

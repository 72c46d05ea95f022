import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, PlatformOnly } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { NoStore } from '../../common/http/no-store';
import { PageQueryDto } from '../../common/validation/pagination';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { PlatformAdminViewDto } from '../../tenancy/dto/tenancy.dto';
import { policyCallerOf } from '../../tokens/policy/policy-decision';
import {
  AddedPlatformAdminDto,
  AddPlatformAdminDto,
  RemovedPlatformAdminViewDto,
} from '../dto/workflows.dto';
import { PlatformAdminsService } from '../../tenancy/platform-admins.service';
import { OffboardingService } from '../offboarding.service';
import { OnboardingService } from '../onboarding.service';

@ApiTags('platform: admins')
@PlatformOnly()
@Controller('platform/v1/admins')
export class PlatformAdminsController {
  constructor(
    private readonly admins: PlatformAdminsService,
    private readonly onboarding: OnboardingService,
    private readonly offboarding: OffboardingService,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listPlatformAdmins', summary: 'List platform admins' })
  @ApiEnvelope(200, PlatformAdminViewDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
    return this.admins.list(ctx.actor.id, query);
  }

  @Post()
  @NoStore()
  @ApiOperation({
    operationId: 'addPlatformAdmin',
    summary: 'Make a person a platform admin; returns their platform token, once',
  })
  @ApiEnvelope(201, AddedPlatformAdminDto)
  @ApiErrors({ 409: ['IDENTITY_EXISTS'], 422: ['VALIDATION_ERROR'] })
  add(@Ctx() ctx: RequestContext, @Body() dto: AddPlatformAdminDto) {
    return this.onboarding.addPlatformAdmin(policyCallerOf(ctx), ctx.author, dto);
  }

  @Delete(':identity_id')
  @ApiOperation({
    operationId: 'removePlatformAdmin',
    summary: 'Remove a platform admin and revoke their platform tokens',
  })
  @ApiEnvelope(200, RemovedPlatformAdminViewDto)
  @ApiErrors({
    404: ['IDENTITY_NOT_FOUND'],
    409: ['LAST_PLATFORM_ADMIN'],
    422: ['VALIDATION_ERROR'],
  })
  remove(@Ctx() ctx: RequestContext, @Param('identity_id', uuidPipe('identity_id')) id: string) {
    return this.offboarding.removePlatformAdmin(ctx.author, id);
  }
}

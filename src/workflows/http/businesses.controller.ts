import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, PlatformOnly } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { NoStore } from '../../common/http/no-store';
import { PageQueryDto } from '../../common/validation/pagination';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { BusinessesService } from '../../tenancy/businesses.service';
import { BusinessViewDto } from '../../tenancy/dto/tenancy.dto';
import { policyCallerOf } from '../../tokens/policy/policy-decision';
import { CreateBusinessDto, CreatedBusinessDto } from '../dto/workflows.dto';
import { OnboardingService } from '../onboarding.service';

@ApiTags('platform: businesses')
@PlatformOnly()
@Controller('platform/v1/businesses')
export class BusinessesController {
  constructor(
    private readonly businesses: BusinessesService,
    private readonly onboarding: OnboardingService,
  ) {}

  @Post()
  @NoStore()
  @ApiOperation({
    operationId: 'createBusiness',
    summary: "Create a business with its owner; returns the owner's first token, once",
  })
  @ApiEnvelope(201, CreatedBusinessDto)
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateBusinessDto) {
    return this.onboarding.createBusiness(policyCallerOf(ctx), ctx.author, dto);
  }

  @Get()
  @ApiOperation({ operationId: 'listBusinesses', summary: 'List businesses, oldest first' })
  @ApiEnvelope(200, BusinessViewDto, { paginated: true })
  @ApiErrors({ 422: ['VALIDATION_ERROR'] })
  list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto) {
    return this.businesses.list(ctx.actor.id, query);
  }

  @Post(':business_id/suspend')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'suspendBusiness',
    summary: 'Suspend a business: its tokens are refused until it resumes',
  })
  @ApiEnvelope(200, BusinessViewDto, { codes: ['ALREADY_SUSPENDED'] })
  @ApiErrors({ 404: ['BUSINESS_NOT_FOUND'], 422: ['VALIDATION_ERROR'] })
  suspend(@Ctx() ctx: RequestContext, @Param('business_id', uuidPipe('business_id')) id: string) {
    return this.businesses.suspend(ctx.author, id);
  }

  @Post(':business_id/resume')
  @HttpCode(200)
  @ApiOperation({ operationId: 'resumeBusiness', summary: 'Resume a suspended business' })
  @ApiEnvelope(200, BusinessViewDto, { codes: ['ALREADY_ACTIVE'] })
  @ApiErrors({ 404: ['BUSINESS_NOT_FOUND'], 422: ['VALIDATION_ERROR'] })
  resume(@Ctx() ctx: RequestContext, @Param('business_id', uuidPipe('business_id')) id: string) {
    return this.businesses.resume(ctx.author, id);
  }
}

import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { BusinessPolicyRepository } from './business-policy.repository';
import { BusinessPolicyService } from './business-policy.service';
import { BusinessLimitsController } from './limits/business-limits.controller';
import { BusinessLimitsRepository } from './limits/business-limits.repository';
import { BusinessLimitsService } from './limits/business-limits.service';
import { LimitBook } from './limits/limit-book';

/**
 * What a business sets for its tokens: its token policy, and its shared limits. Tokens asks the
 * policy on every issue (its routes are `TokenPolicyController`'s, with the violations list that
 * reads tokens); the request path asks `LimitBook` on every call (`AuthModule.register`).
 */
@Module({
  imports: [TenancyModule],
  providers: [
    BusinessPolicyRepository,
    BusinessPolicyService,
    BusinessLimitsRepository,
    BusinessLimitsService,
    LimitBook,
  ],
  exports: [BusinessPolicyService, BusinessLimitsService, LimitBook],
})
export class GovernanceModule {}

/** The routes of a business's shared limits, for the HTTP app alone. */
@Module({
  imports: [GovernanceModule],
  controllers: [BusinessLimitsController],
})
export class GovernanceRoutesModule {}

import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { BusinessPolicyRepository } from './store/business-policy.repository';
import { BusinessPolicyService } from './business-policy.service';
import { BusinessLimitsController } from './http/business-limits.controller';
import { BusinessLimitsRepository } from './store/business-limits.repository';
import { BusinessLimitsService } from './limits/business-limits.service';
import { LimitBook } from './limits/limit-book';
import { CreditAccountsRepository } from './store/credit-accounts.repository';
import { CreditMeter } from './credits/credit-meter';
import { CreditsController } from './http/credits.controller';
import { CreditsService } from './credits/credits.service';

/**
 * What a business sets for its tokens: its token policy, its shared limits and its credit
 * balances. Tokens asks the policy on every issue (its routes are `TokenPolicyController`'s, with
 * the violations list that reads tokens); a gateway check asks `LimitBook` and `CreditMeter`
 * (`AuthModule.register`).
 */
@Module({
  imports: [TenancyModule],
  providers: [
    BusinessPolicyRepository,
    BusinessPolicyService,
    BusinessLimitsRepository,
    BusinessLimitsService,
    LimitBook,
    CreditAccountsRepository,
    CreditsService,
    CreditMeter,
  ],
  exports: [BusinessPolicyService, BusinessLimitsService, LimitBook, CreditsService, CreditMeter],
})
export class GovernanceModule {}

/** The routes of a business's shared limits and credit balances, for the HTTP app alone. */
@Module({
  imports: [GovernanceModule],
  controllers: [BusinessLimitsController, CreditsController],
})
export class GovernanceRoutesModule {}

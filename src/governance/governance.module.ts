import { Module } from '@nestjs/common';
import { BusinessPolicyRepository } from './business-policy.repository';
import { BusinessPolicyService } from './business-policy.service';

/**
 * What a business sets for its tokens: its token policy. Tokens asks it on every issue; the
 * routes are `TokenPolicyController`'s, with the violations list that reads tokens.
 */
@Module({
  providers: [BusinessPolicyRepository, BusinessPolicyService],
  exports: [BusinessPolicyService],
})
export class GovernanceModule {}
